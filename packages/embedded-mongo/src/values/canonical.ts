import type { Binary, Long, ObjectId, Timestamp } from 'bson';
import { bsonType, isPlainObject } from './kinds.js';
import { numericValue } from './view.js';

/**
 * A string that is equal for two values exactly when MongoDB considers them equal (numbers compare
 * across Int32/Double/Long/Decimal128, null equals missing, sub-documents compare field by field in
 * order). It keys the `_id` map and the index maps. Strings are JSON-quoted so composite keys stay
 * unambiguous.
 */
export function canonicalKey(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return numberKey(value);
    case 'boolean':
      return value ? 'T' : 'F';
    case 'bigint':
      return `n${value.toString()}`;
    case 'undefined':
      return 'z';
    default:
      return objectKey(value);
  }
}

function numberKey(value: number): string {
  return `n${String(value)}`;
}

function objectKey(value: unknown): string {
  if (value === null) return 'z';
  if (value instanceof Date) return `d${value.getTime()}`;
  if (value instanceof RegExp) return `r${JSON.stringify([value.source, value.flags])}`;
  if (Array.isArray(value)) return `[${value.map(canonicalKey).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .map((key) => `${JSON.stringify(key)}:${canonicalKey(value[key])}`)
      .join(',')}}`;
  }
  return bsonValueKey(value);
}

function bsonValueKey(value: unknown): string {
  const type = bsonType(value);
  switch (type) {
    case 'ObjectId':
      return `o${(value as ObjectId).toHexString()}`;
    case 'Long': {
      const long = value as Long;
      const asNumber = long.toNumber();
      return Number.isSafeInteger(asNumber) ? numberKey(asNumber) : `n${long.toString()}`;
    }
    case 'Int32':
    case 'Double':
    case 'Decimal128':
      return numberKey(numericValue(value) as number);
    case 'Timestamp': {
      const timestamp = value as Timestamp;
      return `t${timestamp.t}:${timestamp.i}`;
    }
    case 'Binary': {
      const binary = value as Binary;
      return `x${binary.sub_type}:${binary.toString('base64')}`;
    }
    case 'MinKey':
      return '-';
    case 'MaxKey':
      return '+';
    default:
      return `${type ?? 'object'}${JSON.stringify(value)}`;
  }
}

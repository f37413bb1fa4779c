import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { encodesAsInt32 } from '../values/codec.js';
import { bsonType, isPlainObject } from '../values/kinds.js';
import { storedTwin } from '../values/view.js';

/** BSON type numbers of $type and the names they stand for. */
const TYPE_NUMBERS: Readonly<Record<number, string>> = {
  1: 'double',
  2: 'string',
  3: 'object',
  4: 'array',
  5: 'binData',
  6: 'undefined',
  7: 'objectId',
  8: 'bool',
  9: 'date',
  10: 'null',
  11: 'regex',
  13: 'javascript',
  14: 'symbol',
  16: 'int',
  17: 'timestamp',
  18: 'long',
  19: 'decimal',
  [-1]: 'minKey',
  127: 'maxKey',
};

const TYPE_NAMES = new Set([...Object.values(TYPE_NUMBERS), 'number']);
const NUMERIC_TYPES = new Set(['double', 'int', 'long', 'decimal']);

const WRAPPER_TYPES: Readonly<Record<string, string>> = {
  ObjectId: 'objectId',
  Double: 'double',
  Int32: 'int',
  Long: 'long',
  Decimal128: 'decimal',
  Binary: 'binData',
  Timestamp: 'timestamp',
  MinKey: 'minKey',
  MaxKey: 'maxKey',
  Code: 'javascript',
  BSONSymbol: 'symbol',
  BSONRegExp: 'regex',
  DBRef: 'object',
};

/** The BSON type name of a stored value. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return encodesAsInt32(value) ? 'int' : 'double';
  if (typeof value === 'bigint') return 'long';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  return WRAPPER_TYPES[bsonType(value) ?? ''] ?? 'object';
}

function requestedType(alias: unknown): string {
  const name = typeof alias === 'number' ? TYPE_NUMBERS[alias] : alias;
  if (typeof name !== 'string' || !TYPE_NAMES.has(name)) {
    throw new CommandError(ErrorCode.BadValue, `Unknown type name alias: ${String(alias)}`);
  }
  return name;
}

/** The stored values a path reaches: arrays themselves and, as MongoDB's $type does, their elements. */
function valuesAt(document: unknown, parts: readonly string[]): unknown[] {
  if (parts.length === 0) return Array.isArray(document) ? [document, ...(document as unknown[])] : [document];
  const [head, ...rest] = parts as [string, ...string[]];
  if (Array.isArray(document)) {
    const found: unknown[] = /^\d+$/.test(head) ? valuesAt(document[Number(head)], rest) : [];
    for (const element of document as unknown[]) if (isPlainObject(element)) found.push(...valuesAt(element, parts));
    return found;
  }
  return isPlainObject(document) && head in document ? valuesAt(document[head], rest) : [];
}

/**
 * $type on the stored values rather than the views, which have turned Long, Decimal128 and Double
 * into plain numbers; mingo's own $type cannot tell them apart, nor recognise ObjectId.
 */
export function $type(selector: string, value: unknown): (view: Document) => boolean {
  const wanted = (Array.isArray(value) ? (value as unknown[]) : [value]).map(requestedType);
  const parts = selector.split('.');
  return (view) =>
    valuesAt(storedTwin(view), parts).some((found) => {
      const name = typeName(found);
      return wanted.some((type) => type === name || (type === 'number' && NUMERIC_TYPES.has(name)));
    });
}

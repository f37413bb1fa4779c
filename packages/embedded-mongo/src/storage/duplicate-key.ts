import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { bsonType, isPlainObject } from '../values/kinds.js';

/** The server's E11000 error, with the keyPattern/keyValue fields drivers expose. */
export function duplicateKeyError(
  namespace: string,
  indexName: string,
  keyPattern: Document,
  keyValue: Document,
): CommandError {
  const shownKey = Object.entries(keyValue)
    .map(([field, value]) => `${field}: ${formatValue(value)}`)
    .join(', ');
  return new CommandError(
    ErrorCode.DuplicateKey,
    `E11000 duplicate key error collection: ${namespace} index: ${indexName} dup key: { ${shownKey} }`,
    { details: { keyPattern, keyValue } },
  );
}

/** Values as the server's shell-like notation prints them in error messages. */
function formatValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (Array.isArray(value)) return `[ ${value.map(formatValue).join(', ')} ]`;
  if (isPlainObject(value)) {
    const fields = Object.entries(value).map(([field, item]) => `${field}: ${formatValue(item)}`);
    return `{ ${fields.join(', ')} }`;
  }
  const type = bsonType(value);
  if (type === 'ObjectId') return `ObjectId('${String(value)}')`;
  if (type !== undefined && type !== 'Double' && type !== 'Int32') return `${type}(${JSON.stringify(String(value))})`;
  return String(value);
}

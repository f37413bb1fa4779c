import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { parseCollation } from '../query/collation.js';
import type { Collation } from '../query/collation.js';
import type { Collection } from '../storage/collection.js';
import { isPlainObject } from '../values/kinds.js';
import { numericValue } from '../values/view.js';

function typeMismatch(field: string, expected: string, value: unknown): CommandError {
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return new CommandError(
    ErrorCode.TypeMismatch,
    `BSON field '${field}' is the wrong type '${actual}', expected type '${expected}'`,
  );
}

/** The collection a command names in its first field (the command name). */
export function collectionName(command: Document): string {
  const name: unknown = command[Object.keys(command)[0] ?? ''];
  if (typeof name !== 'string' || name === '') {
    throw new CommandError(ErrorCode.InvalidNamespace, `collection name has invalid type ${typeof name}`);
  }
  return name;
}

export function optionalDocument(command: Document, field: string): Document | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw typeMismatch(field, 'object', value);
  return value;
}

export function optionalNumber(command: Document, field: string): number | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  const number = numericValue(value);
  if (number === undefined) throw typeMismatch(field, 'number', value);
  return number;
}

export function optionalBoolean(command: Document, field: string): boolean | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  const number = numericValue(value);
  if (number === undefined) throw typeMismatch(field, 'bool', value);
  return number !== 0;
}

export function documentArray(command: Document, field: string): Document[] {
  const value: unknown = command[field];
  if (!Array.isArray(value)) throw typeMismatch(field, 'array', value);
  for (const item of value) {
    if (!isPlainObject(item)) throw typeMismatch(`${field}.item`, 'object', item);
  }
  return value as Document[];
}

export function optionalDocumentArray(command: Document, field: string): Document[] | undefined {
  return command[field] === undefined || command[field] === null ? undefined : documentArray(command, field);
}

/** Fields any command may carry that are about sessions, concerns and routing rather than the command itself. */
const GENERIC_FIELDS = new Set([
  '$db',
  '$clusterTime',
  '$readPreference',
  'lsid',
  'txnNumber',
  'autocommit',
  'startTransaction',
  'readConcern',
  'writeConcern',
  'comment',
  'maxTimeMS',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
]);

/** The command's own options: every field except its name and the generic ones. */
export function commandOptions(command: Document, commandName: string): Document {
  const options: Document = {};
  for (const [field, value] of Object.entries(command)) {
    if (field !== commandName && !GENERIC_FIELDS.has(field)) options[field] = value;
  }
  return options;
}

/**
 * The collation an operation runs under: its own `collation` option (`{ locale: 'simple' }`
 * included), else its collection's default; undefined for the simple one.
 */
export function operationCollation(options: Document, collection: Collection | undefined): Collation | undefined {
  const given: unknown = options.collation;
  return given === undefined || given === null ? collection?.collation : parseCollation(given);
}

import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { describeCollation, parseCollation } from '../query/collation.js';
import type { Collation } from '../query/collation.js';
import { isPlainObject } from '../values/kinds.js';

/** A declared index: its key pattern and the options it is listed back with. */
export interface IndexSpec {
  readonly name: string;
  readonly key: Document;
  readonly fields: readonly string[];
  readonly unique: boolean;
  readonly sparse: boolean;
  readonly partialFilterExpression: Document | undefined;
  /** Undefined for the simple collation. */
  readonly collation?: Collation | undefined;
  /** Every other option (expireAfterSeconds, hidden, ...), recorded and listed verbatim. */
  readonly options: Document;
}

export const ID_INDEX_NAME = '_id_';

export const ID_INDEX: IndexSpec = {
  name: ID_INDEX_NAME,
  key: { _id: 1 },
  fields: ['_id'],
  unique: true,
  sparse: false,
  partialFilterExpression: undefined,
  options: {},
};

/** Index types mingo cannot answer queries for ($text, $near, ...). */
const UNSUPPORTED_INDEX_TYPES = new Set(['text', '2d', '2dsphere', 'geoHaystack']);

/** Fields of a createIndexes entry that are not options of the index itself. */
const NON_OPTION_FIELDS = new Set([
  'key',
  'name',
  'unique',
  'sparse',
  'partialFilterExpression',
  'v',
  'ns',
  'background',
  'collation',
]);

/**
 * An index as createIndexes (or the journal) describes it. `defaultCollation`: the collection's,
 * which an index without a `collation` of its own takes.
 */
export function parseIndexSpec(raw: unknown, defaultCollation?: Collation): IndexSpec {
  if (!isPlainObject(raw)) throw new CommandError(ErrorCode.TypeMismatch, 'Each index specification must be an object');
  const key: unknown = raw.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) {
    throw new CommandError(ErrorCode.CannotCreateIndex, 'Index keys cannot be an empty field.');
  }
  for (const [field, direction] of Object.entries(key)) validateKeyPart(field, direction);
  const collation = raw.collation === undefined ? defaultCollation : parseCollation(raw.collation);
  const partial: unknown = raw.partialFilterExpression;
  if (partial !== undefined && !isPlainObject(partial)) {
    throw new CommandError(ErrorCode.TypeMismatch, 'partialFilterExpression must be an object');
  }
  const options: Document = {};
  for (const [option, value] of Object.entries(raw)) {
    if (!NON_OPTION_FIELDS.has(option)) options[option] = value;
  }
  return {
    name: typeof raw.name === 'string' && raw.name !== '' ? raw.name : defaultIndexName(key),
    key,
    fields: Object.keys(key),
    unique: raw.unique === true,
    sparse: raw.sparse === true,
    partialFilterExpression: partial,
    collation,
    options,
  };
}

function validateKeyPart(field: string, direction: unknown): void {
  if (typeof direction === 'string' && UNSUPPORTED_INDEX_TYPES.has(direction)) {
    throw new CommandError(
      ErrorCode.CannotCreateIndex,
      `Index type '${direction}' on field '${field}' is not supported by the embedded MongoDB server`,
    );
  }
  const valid =
    direction === 'hashed' || (typeof direction === 'number' && direction !== 0) || isNumericWrapper(direction);
  if (!valid) {
    throw new CommandError(
      ErrorCode.CannotCreateIndex,
      `Values in the index key pattern can't be ${JSON.stringify(direction)}`,
    );
  }
}

function isNumericWrapper(value: unknown): boolean {
  return typeof value === 'object' && value !== null && '_bsontype' in value;
}

/** MongoDB's generated index name: `field_direction` pairs joined by underscores. */
export function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([field, direction]) => `${field}_${String(direction)}`)
    .join('_');
}

/** The listIndexes entry of an index. */
export function describeIndex(spec: IndexSpec): Document {
  const description: Document = { v: 2, key: spec.key, name: spec.name };
  if (spec.unique && spec.name !== ID_INDEX_NAME) description.unique = true;
  if (spec.sparse) description.sparse = true;
  if (spec.partialFilterExpression) description.partialFilterExpression = spec.partialFilterExpression;
  if (spec.collation) description.collation = describeCollation(spec.collation);
  return { ...description, ...spec.options };
}

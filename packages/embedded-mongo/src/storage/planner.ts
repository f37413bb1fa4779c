import type { Document } from 'bson';
import type { Collation } from '../query/collation.js';
import { sameCollation } from '../query/collation.js';
import { canonicalKey } from '../values/canonical.js';
import { isPlainObject } from '../values/kinds.js';
import type { Collection, StoredDocument } from './collection.js';

/** Whether a value holds a string anywhere (its comparison then depends on the collation). */
function holdsString(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (Array.isArray(value)) return value.some(holdsString);
  return isPlainObject(value) && Object.values(value).some(holdsString);
}

/**
 * The documents that may match a filter, found through the `_id` map or the secondary index whose
 * leading fields have the longest run of equality constraints, else the whole collection. The
 * result is a superset: callers still test each candidate with the full filter. An index (the
 * `_id` map has the simple collation) answers string equalities only under its own collation.
 */
export function candidateDocuments(
  collection: Collection,
  filter: Document,
  collation?: Collation,
): Iterable<StoredDocument> {
  const equalities = equalityValues(filter);
  const usable = (indexCollation: Collation | undefined, values: readonly unknown[]): boolean =>
    sameCollation(indexCollation, collation) || !values.some(holdsString);
  const ids = equalities.get('_id');
  if (ids && usable(undefined, ids)) return resolveIds(collection, ids.map(canonicalKey));
  let best: { depth: number; ids: Set<string> } | undefined;
  for (const index of collection.indexes.values()) {
    if (!index.coversAllDocuments) continue;
    const valuesPerField: unknown[][] = [];
    for (const field of index.spec.fields) {
      const values = equalities.get(field);
      if (!values || !usable(index.spec.collation, values)) break;
      valuesPerField.push(values);
    }
    if (valuesPerField.length <= (best?.depth ?? 0)) continue;
    const found = index.lookup(valuesPerField);
    if (found) best = { depth: valuesPerField.length, ids: found };
  }
  return best ? resolveIds(collection, best.ids) : collection.records.values();
}

function resolveIds(collection: Collection, ids: Iterable<string>): StoredDocument[] {
  const found: StoredDocument[] = [];
  for (const id of new Set(ids)) {
    const record = collection.records.get(id);
    if (record) found.push(record);
  }
  return found;
}

/**
 * The values each top-level field (also inside a top-level $and) must equal: `{f: v}`,
 * `{f: {$eq: v}}` or `{f: {$in: [...]}}`. Null, arrays and regular expressions are left to a scan,
 * since their matching is not plain key equality.
 */
function equalityValues(filter: Document): Map<string, unknown[]> {
  const found = new Map<string, unknown[]>();
  const visit = (clause: Document): void => {
    for (const [field, condition] of Object.entries(clause)) {
      if (field === '$and' && Array.isArray(condition)) {
        for (const part of condition) if (isPlainObject(part)) visit(part);
        continue;
      }
      if (field.startsWith('$') || found.has(field)) continue;
      const values = conditionValues(condition);
      if (values?.every(isIndexableValue)) found.set(field, values);
    }
  };
  visit(filter);
  return found;
}

function conditionValues(condition: unknown): unknown[] | undefined {
  if (!isPlainObject(condition)) return [condition];
  const operators = Object.keys(condition);
  if (!operators.every((key) => key.startsWith('$'))) return [condition];
  if ('$eq' in condition) return [condition.$eq];
  if (Array.isArray(condition.$in)) return condition.$in as unknown[];
  return undefined;
}

function isIndexableValue(value: unknown): boolean {
  return value !== null && value !== undefined && !Array.isArray(value) && !(value instanceof RegExp);
}

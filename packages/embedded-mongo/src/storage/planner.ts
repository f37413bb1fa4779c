import type { Document } from 'bson';
import { canonicalKey } from '../values/canonical.js';
import { isPlainObject } from '../values/kinds.js';
import type { Collection, StoredDocument } from './collection.js';

/**
 * The documents that may match a filter, found through the `_id` map or the secondary index whose
 * leading fields have the longest run of equality constraints, else the whole collection. The
 * result is a superset: callers still test each candidate with the full filter.
 */
export function candidateDocuments(collection: Collection, filter: Document): Iterable<StoredDocument> {
  const equalities = equalityKeys(filter);
  const ids = equalities.get('_id');
  if (ids) return resolveIds(collection, ids);
  let best: { depth: number; ids: Set<string> } | undefined;
  for (const index of collection.indexes.values()) {
    if (!index.coversAllDocuments) continue;
    const keysPerField: string[][] = [];
    for (const field of index.spec.fields) {
      const keys = equalities.get(field);
      if (!keys) break;
      keysPerField.push(keys);
    }
    if (keysPerField.length <= (best?.depth ?? 0)) continue;
    const found = index.lookup(keysPerField);
    if (found) best = { depth: keysPerField.length, ids: found };
  }
  return best ? resolveIds(collection, best.ids) : collection.records.values();
}

function resolveIds(collection: Collection, ids: Iterable<string>): StoredDocument[] {
  const found: StoredDocument[] = [];
  for (const id of ids) {
    const record = collection.records.get(id);
    if (record) found.push(record);
  }
  return found;
}

/**
 * Canonical keys of the values each top-level field (also inside a top-level $and) must equal:
 * `{f: v}`, `{f: {$eq: v}}` or `{f: {$in: [...]}}`. Null, arrays and regular expressions are left
 * to a scan, since their matching is not plain key equality.
 */
function equalityKeys(filter: Document): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const visit = (clause: Document): void => {
    for (const [field, condition] of Object.entries(clause)) {
      if (field === '$and' && Array.isArray(condition)) {
        for (const part of condition) if (isPlainObject(part)) visit(part);
        continue;
      }
      if (field.startsWith('$') || found.has(field)) continue;
      const values = equalityValues(condition);
      if (values?.every(isIndexableValue)) found.set(field, [...new Set(values.map(canonicalKey))]);
    }
  };
  visit(filter);
  return found;
}

function equalityValues(condition: unknown): unknown[] | undefined {
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

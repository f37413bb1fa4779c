import type { Collection, StoredDocument } from './collection.js';
import { pathValues } from '../values/paths.js';
import { numericValue } from '../values/view.js';

/** How often expired documents are removed; mongod's TTL monitor also runs every 60 seconds. */
export const TTL_MONITOR_INTERVAL_MS = 60_000;

/**
 * The documents of a collection that a TTL index (a single-field index with expireAfterSeconds)
 * has expired at `now`: those whose indexed date, or earliest date of an array, lies more than
 * expireAfterSeconds in the past. Documents without a date there never expire.
 */
export function expiredDocuments(collection: Collection, now: number): StoredDocument[] {
  const expired = new Map<string, StoredDocument>();
  for (const index of collection.indexes.values()) {
    const seconds = numericValue(index.spec.options.expireAfterSeconds);
    const [field, ...others] = index.spec.fields;
    if (seconds === undefined || field === undefined || others.length > 0) continue;
    const cutoff = now - seconds * 1000;
    for (const record of collection.records.values()) {
      const dates = pathValues(record.doc, field).filter((value): value is Date => value instanceof Date);
      if (dates.length > 0 && Math.min(...dates.map((date) => date.getTime())) < cutoff) expired.set(record.id, record);
    }
  }
  return [...expired.values()];
}

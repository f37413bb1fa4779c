import type { Document } from 'bson';
import { compileFilter } from '../query/mingo.js';
import { isPlainObject } from '../values/kinds.js';
import { toView } from '../values/view.js';
import type { ChangeEntry } from './change-log.js';

/** The fields of a change event known before it is rendered, as the event will hold them. */
const KNOWN_BEFORE_RENDERING = new Set(['operationType', 'ns', 'ns.db', 'ns.coll']);
const LOGICAL = new Set(['$and', '$or', '$nor']);

/** Whether every field `filter` reads is one of KNOWN_BEFORE_RENDERING (logical operators looked into). */
function readsOnlyKnownFields(filter: Document): boolean {
  return Object.entries(filter).every(([key, value]) => {
    if (LOGICAL.has(key))
      return Array.isArray(value) && value.every((part) => isPlainObject(part) && readsOnlyKnownFields(part));
    return KNOWN_BEFORE_RENDERING.has(key);
  });
}

/**
 * A test of a log entry against the stream's first `$match`, decided before the entry is rendered
 * into an event, when that `$match` reads only the operation type and the namespace (a stream over a
 * whole database that keeps a few collections, as most consumers write): an entry it refuses is
 * never rendered, copied or run through the pipeline. Undefined when the pipeline does not start with
 * such a `$match`; the full pipeline still runs, that `$match` included, on every entry that passes.
 */
export function namespaceFilter(pipeline: Document[]): ((entry: ChangeEntry) => boolean) | undefined {
  const match: unknown = pipeline[0]?.$match;
  if (!isPlainObject(match) || Object.keys(pipeline[0]!).length !== 1 || !readsOnlyKnownFields(match)) return undefined;
  const filter = compileFilter(toView(match));
  return (entry) =>
    filter.test({
      operationType: entry.kind,
      ns: entry.coll === undefined ? { db: entry.db } : { db: entry.db, coll: entry.coll },
    });
}

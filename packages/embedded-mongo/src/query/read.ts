import type { Document } from 'bson';
import type { StoredDocument } from '../storage/collection.js';
import type { Collation } from './collation.js';
import { restoreTypes, toView } from '../values/view.js';
import { runPipeline, sortViews } from './mingo.js';

export interface ReadOptions {
  readonly sort?: Document | undefined;
  readonly skip?: number | undefined;
  /** At most this many documents; 0 or undefined for no limit. */
  readonly limit?: number | undefined;
  readonly projection?: Document | undefined;
  /** The collation strings sort by; undefined for the simple one. */
  readonly collation?: Collation | undefined;
}

/** Sorts, skips, limits and projects matched documents the way find does, returning them in stored form. */
export function readDocuments(records: StoredDocument[], options: ReadOptions): Document[] {
  const ordered = sortRecords(records, options.sort, options.collation);
  const start = options.skip ?? 0;
  const limit = options.limit ?? 0;
  const page = ordered.slice(start, limit > 0 ? start + limit : undefined);
  const projection = options.projection;
  if (!projection || Object.keys(projection).length === 0) return page.map((record) => record.doc);
  return runPipeline(
    page.map((record) => record.view),
    [{ $project: toView(projection) }],
  ).map(restoreTypes);
}

/** Sorting happens on the views (mingo's BSON-like ordering), mapped back to the stored records. */
export function sortRecords(
  records: StoredDocument[],
  sort: Document | undefined,
  collation?: Collation,
): StoredDocument[] {
  if (!sort || Object.keys(sort).length === 0) return records;
  const fields = Object.keys(sort);
  if (fields.length === 1 && fields[0] === '$natural') {
    return sort.$natural === -1 ? [...records].reverse() : records;
  }
  const byView = new Map(records.map((record) => [record.view, record]));
  const sorted = sortViews([...byView.keys()], toView(sort), collation);
  return sorted.map((view) => byView.get(view) as StoredDocument);
}

import type { Document } from 'bson';
import { canonicalKey } from '../values/canonical.js';
import { isPlainObject } from '../values/kinds.js';
import { resumeToken } from './change-log.js';
import type { ChangeEntry } from './change-log.js';

/** The $changeStream options that shape each event. */
export interface EventOptions {
  /** 'updateLookup' reads the current document; 'whenAvailable'/'required' use the post-image of the write. */
  readonly fullDocument: string;
  /** 'whenAvailable'/'required' add the pre-image of the write; 'off' leaves it out. */
  readonly fullDocumentBeforeChange: string;
}

/** Reads the current committed version of a document, for fullDocument: 'updateLookup'. */
export type DocumentLookup = (db: string, coll: string, id: unknown) => Document | null;

/** The change event document of a log entry, as the server sends it. */
export function renderEvent(entry: ChangeEntry, options: EventOptions, lookup: DocumentLookup): Document {
  const event: Document = {
    _id: resumeToken(entry.position),
    operationType: entry.kind,
    clusterTime: entry.clusterTime,
    wallTime: entry.wallTime,
  };
  const id: unknown = (entry.after ?? entry.before)?._id;
  const fullDocument = fullDocumentOf(entry, options, lookup, id);
  if (fullDocument !== undefined) event.fullDocument = fullDocument;
  event.ns = entry.coll === undefined ? { db: entry.db } : { db: entry.db, coll: entry.coll };
  if (entry.to) event.to = entry.to;
  if (id !== undefined) event.documentKey = { _id: id };
  if (entry.kind === 'update' && entry.before && entry.after)
    event.updateDescription = describeUpdate(entry.before, entry.after);
  const withPreImage =
    options.fullDocumentBeforeChange === 'whenAvailable' || options.fullDocumentBeforeChange === 'required';
  if (withPreImage && entry.kind !== 'insert' && entry.before) event.fullDocumentBeforeChange = entry.before;
  if (entry.transaction) {
    event.txnNumber = entry.transaction.txnNumber;
    event.lsid = entry.transaction.lsid;
  }
  return event;
}

/** The invalidate event that ends a collection or database stream once its namespace is dropped. */
export function invalidateEvent(entry: ChangeEntry): Document {
  return {
    _id: resumeToken(entry.position),
    operationType: 'invalidate',
    clusterTime: entry.clusterTime,
    wallTime: entry.wallTime,
  };
}

function fullDocumentOf(
  entry: ChangeEntry,
  options: EventOptions,
  lookup: DocumentLookup,
  id: unknown,
): Document | null | undefined {
  if (entry.kind === 'insert' || entry.kind === 'replace') return entry.after;
  if (entry.kind !== 'update') return undefined;
  if (options.fullDocument === 'updateLookup') return lookup(entry.db, entry.coll as string, id);
  if (options.fullDocument === 'whenAvailable' || options.fullDocument === 'required') return entry.after;
  return undefined;
}

/** The updateDescription of an update event: set fields (dotted paths), removed fields and truncated arrays. */
function describeUpdate(before: Document, after: Document): Document {
  const description = {
    updatedFields: {} as Document,
    removedFields: [] as string[],
    truncatedArrays: [] as Document[],
  };
  diffDocuments(before, after, '', description);
  return description;
}

interface Description {
  updatedFields: Document;
  removedFields: string[];
  truncatedArrays: Document[];
}

function diffDocuments(before: Document, after: Document, prefix: string, description: Description): void {
  for (const [field, value] of Object.entries(after)) {
    const path = `${prefix}${field}`;
    const previous: unknown = before[field];
    if (!(field in before)) description.updatedFields[path] = value;
    else if (canonicalKey(previous) === canonicalKey(value)) continue;
    else if (isPlainObject(previous) && isPlainObject(value)) diffDocuments(previous, value, `${path}.`, description);
    else if (Array.isArray(previous) && Array.isArray(value))
      diffArrays(previous as unknown[], value as unknown[], path, description);
    else description.updatedFields[path] = value;
  }
  for (const field of Object.keys(before)) {
    if (!(field in after)) description.removedFields.push(`${prefix}${field}`);
  }
}

/** Appends and truncations are reported element-wise, as the server does; other array changes replace the array. */
function diffArrays(before: unknown[], after: unknown[], path: string, description: Description): void {
  const shared = Math.min(before.length, after.length);
  const samePrefix = before.slice(0, shared).every((item, i) => canonicalKey(item) === canonicalKey(after[i]));
  if (!samePrefix) {
    description.updatedFields[path] = after;
  } else if (after.length < before.length) {
    description.truncatedArrays.push({ field: path, newSize: after.length });
  } else {
    for (let i = before.length; i < after.length; i++) description.updatedFields[`${path}.${i}`] = after[i];
  }
}

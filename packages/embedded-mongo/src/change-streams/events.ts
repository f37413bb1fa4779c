import { Int32 } from 'bson';
import type { Document } from 'bson';
import { canonicalKey } from '../values/canonical.js';
import { isPlainObject } from '../values/kinds.js';
import { CommandError, ErrorCode } from '../errors.js';
import { resumeToken } from './change-log.js';
import type { ChangeEntry } from './change-log.js';

/** The $changeStream options that shape each event. */
export interface EventOptions {
  /** 'updateLookup' reads the current document; 'whenAvailable'/'required' use the post-image of the write. */
  readonly fullDocument: string;
  /** 'whenAvailable'/'required' add the pre-image of the write; 'off' leaves it out. */
  readonly fullDocumentBeforeChange: string;
  /** DDL events, collectionUUID, operationDescription and disambiguatedPaths (MongoDB 6.0+). */
  readonly showExpandedEvents: boolean;
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
  if (options.showExpandedEvents && entry.uuid) event.collectionUUID = entry.uuid;
  const id: unknown = (entry.after ?? entry.before)?._id;
  const fullDocument = fullDocumentOf(entry, options, lookup, id);
  if (fullDocument !== undefined) event.fullDocument = fullDocument;
  event.ns = entry.coll === undefined ? { db: entry.db } : { db: entry.db, coll: entry.coll };
  if (entry.to) event.to = entry.to;
  if (id !== undefined) event.documentKey = { _id: id };
  if (entry.kind === 'update' && entry.before && entry.after)
    event.updateDescription = describeUpdate(entry.before, entry.after, options.showExpandedEvents);
  if (options.showExpandedEvents && entry.description) event.operationDescription = entry.description;
  if (options.showExpandedEvents && entry.stateBefore) event.stateBeforeChange = entry.stateBefore;
  const preImage = preImageOf(entry, options);
  if (preImage !== undefined) event.fullDocumentBeforeChange = preImage;
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
  if (options.fullDocument === 'whenAvailable' || options.fullDocument === 'required')
    return image(entry, entry.after, options.fullDocument, 'post');
  return undefined;
}

/** The pre-image of an update, replace or delete, when the stream asks for it. */
function preImageOf(entry: ChangeEntry, options: EventOptions): Document | null | undefined {
  const mode = options.fullDocumentBeforeChange;
  if (mode === 'off' || !['update', 'replace', 'delete'].includes(entry.kind)) return undefined;
  return image(entry, entry.before, mode, 'pre');
}

/**
 * A pre- or post-image: kept only for collections with changeStreamPreAndPostImages enabled at the
 * time of the write; missing, it is null ('whenAvailable') or fails the stream ('required').
 */
function image(entry: ChangeEntry, document: Document | null, mode: string, kind: 'pre' | 'post'): Document | null {
  if (entry.images && document) return document;
  if (mode === 'whenAvailable') return null;
  const events = kind === 'pre' ? 'update, delete and replace events' : 'update events';
  throw new CommandError(
    ErrorCode.NoMatchingDocument,
    `Change stream was configured to require a ${kind}-image for all ${events}, but the ${kind}-image was not found for event: ${JSON.stringify(resumeToken(entry.position))}`,
  );
}

/** A path into a document: field names, and array indices as numbers. */
type Path = readonly (string | number)[];

interface Description {
  readonly updatedFields: Document;
  readonly removedFields: string[];
  readonly truncatedArrays: Document[];
  /** The dotted paths above that read two ways (a dotted or numeric field name), with their components. */
  readonly disambiguatedPaths: Document;
}

/**
 * The updateDescription of an update event, as MongoDB's oplog delta describes it: set fields by
 * dotted path (array elements by index), removed fields, truncated arrays, and with
 * `showExpandedEvents` the components of the paths that are ambiguous as dotted strings.
 */
function describeUpdate(before: Document, after: Document, expanded: boolean): Document {
  const description: Description = {
    updatedFields: {},
    removedFields: [],
    truncatedArrays: [],
    disambiguatedPaths: {},
  };
  diffDocuments(before, after, [], description);
  const { disambiguatedPaths, ...fields } = description;
  return expanded && Object.keys(disambiguatedPaths).length > 0 ? { ...fields, disambiguatedPaths } : fields;
}

function dotted(path: Path, description: Description): string {
  const joined = path.join('.');
  const ambiguous = path.some(
    (part, depth) => typeof part === 'string' && (part.includes('.') || (depth > 0 && /^\d+$/.test(part))),
  );
  if (ambiguous)
    description.disambiguatedPaths[joined] = path.map((part) => (typeof part === 'number' ? new Int32(part) : part));
  return joined;
}

function same(a: unknown, b: unknown): boolean {
  return canonicalKey(a) === canonicalKey(b);
}

function diffDocuments(before: Document, after: Document, path: Path, description: Description): void {
  for (const [field, value] of Object.entries(after)) {
    const previous: unknown = before[field];
    if (field in before && same(previous, value)) continue;
    diffValues(field in before, previous, value, [...path, field], description);
  }
  for (const field of Object.keys(before)) {
    if (!(field in after)) description.removedFields.push(dotted([...path, field], description));
  }
}

function diffValues(existed: boolean, previous: unknown, value: unknown, path: Path, description: Description): void {
  if (existed && isPlainObject(previous) && isPlainObject(value)) diffDocuments(previous, value, path, description);
  else if (existed && Array.isArray(previous) && Array.isArray(value)) diffArrays(previous, value, path, description);
  else description.updatedFields[dotted(path, description)] = value;
}

/**
 * Arrays are described as the update operators that change them are: appended or set elements by
 * index ($push, $set of `a.3`), a cut end as truncated ($pop), and the whole array when elements
 * moved (a shorter array with other elements, as $pull leaves) or all of them changed.
 */
function diffArrays(before: unknown[], after: unknown[], path: Path, description: Description): void {
  const shared = Math.min(before.length, after.length);
  const changed: number[] = [];
  for (let i = 0; i < shared; i++) if (!same(before[i], after[i])) changed.push(i);
  const truncated = after.length < before.length;
  if ((truncated && changed.length > 0) || (changed.length === shared && shared > 1)) {
    description.updatedFields[dotted(path, description)] = after;
    return;
  }
  for (const i of changed) diffValues(true, before[i], after[i], [...path, i], description);
  if (truncated) description.truncatedArrays.push({ field: dotted(path, description), newSize: after.length });
  for (let i = before.length; i < after.length; i++)
    description.updatedFields[dotted([...path, i], description)] = after[i];
}

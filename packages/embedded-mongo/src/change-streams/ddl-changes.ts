import type { Document } from 'bson';
import type { Collection } from '../storage/collection.js';
import { describeIndex, ID_INDEX } from '../storage/index-spec.js';
import type { ChangeInput } from './change-log.js';

/**
 * The change log entries of DDL, as MongoDB 7 reports them to change streams opened with
 * `showExpandedEvents`: what its oplog entry held, as the event's operationDescription.
 */

export function createChange(collection: Collection): ChangeInput {
  return {
    kind: 'create',
    db: collection.db,
    coll: collection.name,
    before: null,
    after: null,
    uuid: collection.uuid,
    description: { ...collection.options, idIndex: describeIndex(ID_INDEX) },
  };
}

/** One event per index, as each index built or dropped is an oplog entry of its own. */
export function indexChange(
  kind: 'createIndexes' | 'dropIndexes',
  collection: Collection,
  index: Document,
): ChangeInput {
  return {
    kind,
    db: collection.db,
    coll: collection.name,
    before: null,
    after: null,
    uuid: collection.uuid,
    description: { indexes: [index] },
  };
}

/**
 * A collMod: the options it set (and the index it changed), and the same options as they were
 * before it (stateBeforeChange).
 */
export function modifyChange(
  collection: Collection,
  changed: { readonly options: Document; readonly index: Document | undefined },
  before: { readonly options: Document; readonly index: Document | undefined },
): ChangeInput {
  const description: Document = { ...changed.options };
  if (changed.index) description.index = changed.index;
  const stateBefore: Document = { collectionOptions: { uuid: collection.uuid, ...before.options } };
  if (before.index) stateBefore.indexOptions = before.index;
  return {
    kind: 'modify',
    db: collection.db,
    coll: collection.name,
    before: null,
    after: null,
    uuid: collection.uuid,
    description,
    stateBefore,
  };
}

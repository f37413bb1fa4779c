import { Timestamp } from 'bson';
import type { Binary } from 'bson';
import { transactionMarker } from '../change-streams/change-log.js';
import type { ChangeInput } from '../change-streams/change-log.js';
import type { Engine } from '../engine.js';
import { dropChange, dropDatabaseChanges, modifyInCatalog, renameInCatalog } from '../engine.js';
import type { Collection } from '../storage/collection.js';
import { storedDocument } from '../storage/collection.js';
import { describeIndex, parseIndexSpec } from '../storage/index-spec.js';
import { createChange, indexChange } from '../change-streams/ddl-changes.js';
import { withLeadingId } from '../storage/leading-id.js';
import { canonicalKey } from '../values/canonical.js';
import { decodeDocument } from '../values/codec.js';
import type { CommitGroup, CommitRecord, RecordOp } from './commit-record.js';
import { parseView } from '../views.js';
import type { Snapshot } from './snapshot.js';

/** Loads a snapshot into a fresh engine: collections with their indexes, documents, history, clock. */
export function restoreSnapshot(engine: Engine, snapshot: Snapshot): void {
  for (const saved of snapshot.collections) {
    const collection = engine.catalog.createCollection(saved.db, saved.name, saved.options, saved.uuid);
    for (const index of saved.indexes) collection.createIndex(parseIndexSpec(index));
    for (const doc of saved.documents) collection.write(null, storedDocument(doc, 0));
  }
  for (const saved of snapshot.views) engine.catalog.putView(parseView(saved.db, saved.name, saved.options));
  engine.changes.restore(snapshot.changes, snapshot.lost);
  for (const write of snapshot.retryableWrites) engine.transactions.rememberRetryableWrite(write);
  for (const committed of snapshot.committedTransactions) engine.transactions.rememberCommittedTransaction(committed);
  engine.clock.restore(snapshot.clock.t, snapshot.clock.i, snapshot.clock.seq);
}

/** Applies a journaled record again (a commit, or a command's commits in order), exactly as first applied. */
export function replayRecord(engine: Engine, record: CommitRecord | CommitGroup): void {
  if ('commits' in record) {
    for (const commit of record.commits) replayCommit(engine, commit);
    if (record.retryable) engine.transactions.rememberRetryableWrite(record.retryable);
  } else {
    replayCommit(engine, record);
  }
}

/** Applies one commit again, with its original cluster time. */
function replayCommit(engine: Engine, record: CommitRecord): void {
  const version = record.tick?.seq ?? 0;
  const changes: ChangeInput[] = [];
  for (const op of record.ops) changes.push(...applyOp(engine, op, version));
  const { tick } = record;
  if (!tick) return;
  engine.clock.restore(tick.t, tick.i, tick.seq);
  if (record.txn) engine.transactions.rememberCommittedTransaction(record.txn);
  const marker = record.txn && transactionMarker(record.txn.lsid, record.txn.txnNumber);
  // The commit's own cluster time, not the clock's: a clock started in a later second is ahead of it.
  const clusterTime = new Timestamp({ t: tick.t, i: tick.i });
  engine.changes.append({ clusterTime, wallTime: tick.wall, sequence: tick.seq }, changes, marker);
}

function existing(engine: Engine, db: string, coll: string): Collection {
  const collection = engine.catalog.collection(db, coll);
  if (!collection) throw new Error(`The journal refers to a collection that does not exist: ${db}.${coll}`);
  return collection;
}

function applyOp(engine: Engine, op: RecordOp, version: number): ChangeInput[] {
  switch (op.op) {
    case 'create':
      return [createChange(engine.catalog.createCollection(op.db, op.coll, op.options, (op.uuid as Binary).toUUID()))];
    case 'createIndex': {
      const collection = existing(engine, op.db, op.coll);
      collection.createIndex(parseIndexSpec(op.spec));
      return [indexChange('createIndexes', collection, op.spec)];
    }
    case 'dropIndex': {
      const collection = existing(engine, op.db, op.coll);
      const spec = collection.indexes.get(op.name)?.spec;
      collection.dropIndex(op.name);
      return spec ? [indexChange('dropIndexes', collection, describeIndex(spec))] : [];
    }
    case 'drop': {
      const dropped = engine.catalog.dropCollection(op.db, op.coll);
      return dropped ? [dropChange(dropped)] : [];
    }
    case 'dropDatabase':
      return dropDatabaseChanges(op.db, engine.catalog.dropDatabase(op.db));
    case 'rename':
      return renameInCatalog(engine.catalog, op);
    case 'collMod':
      return [modifyInCatalog(existing(engine, op.db, op.coll), op.options, op.index ?? undefined).change];
    case 'defineView':
      engine.catalog.putView(parseView(op.db, op.coll, op.options), true);
      return [];
    case 'dropView':
      engine.catalog.dropView(op.db, op.coll);
      return [];
    case 'delete': {
      const collection = existing(engine, op.db, op.coll);
      const before = collection.records.get(canonicalKey(op.id)) ?? null;
      collection.write(before, null);
      return [
        {
          kind: 'delete',
          db: op.db,
          coll: op.coll,
          before: before?.doc ?? null,
          after: null,
          uuid: collection.uuid,
          images: collection.recordsImages,
        },
      ];
    }
    default: {
      const collection = existing(engine, op.db, op.coll);
      const doc = 'received' in op ? withLeadingId(decodeDocument(op.received.buffer)) : op.doc;
      const after = storedDocument(doc, version);
      const before = collection.records.get(after.id) ?? null;
      collection.write(before, after);
      return [
        {
          kind: op.op,
          db: op.db,
          coll: op.coll,
          before: before?.doc ?? null,
          after: after.doc,
          uuid: collection.uuid,
          images: collection.recordsImages,
        },
      ];
    }
  }
}

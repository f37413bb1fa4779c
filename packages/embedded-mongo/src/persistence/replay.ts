import type { Binary, Document } from 'bson';
import { transactionMarker } from '../change-streams/change-log.js';
import type { ChangeInput } from '../change-streams/change-log.js';
import type { Engine } from '../engine.js';
import { dropChange, dropDatabaseChanges, modifyInCatalog, renameInCatalog } from '../engine.js';
import type { Collection } from '../storage/collection.js';
import { storedDocument } from '../storage/collection.js';
import { parseIndexSpec } from '../storage/index-spec.js';
import { canonicalKey } from '../values/canonical.js';
import type { CommitRecord, RecordOp } from './commit-record.js';
import type { Snapshot } from './snapshot.js';

/** Loads a snapshot into a fresh engine: collections with their indexes, documents, history, clock. */
export function restoreSnapshot(engine: Engine, snapshot: Snapshot): void {
  for (const saved of snapshot.collections) {
    const collection = engine.catalog.createCollection(saved.db, saved.name, saved.options, saved.uuid);
    for (const index of saved.indexes) collection.createIndex(parseIndexSpec(index));
    for (const doc of saved.documents) collection.write(null, storedDocument(doc, 0));
  }
  engine.changes.restore(snapshot.changes, snapshot.lost);
  engine.clock.restore(snapshot.clock.t, snapshot.clock.i, snapshot.clock.seq);
}

/** Applies one journaled commit again, with its original cluster time, exactly as it was first applied. */
export function replayRecord(engine: Engine, record: CommitRecord): void {
  const version = record.tick?.seq ?? 0;
  const changes: ChangeInput[] = [];
  for (const op of record.ops) changes.push(...applyOp(engine, op, version));
  const { tick } = record;
  if (!tick) return;
  engine.clock.restore(tick.t, tick.i, tick.seq);
  const marker = record.txn && transactionMarker(record.txn.lsid, record.txn.txnNumber);
  engine.changes.append(
    { clusterTime: engine.clock.current(), wallTime: tick.wall, sequence: tick.seq },
    changes,
    marker,
  );
}

function existing(engine: Engine, db: string, coll: string): Collection {
  const collection = engine.catalog.collection(db, coll);
  if (!collection) throw new Error(`The journal refers to a collection that does not exist: ${db}.${coll}`);
  return collection;
}

function applyOp(engine: Engine, op: RecordOp, version: number): ChangeInput[] {
  switch (op.op) {
    case 'create':
      engine.catalog.createCollection(op.db, op.coll, op.options, (op.uuid as Binary).toUUID());
      return [];
    case 'createIndex':
      existing(engine, op.db, op.coll).createIndex(parseIndexSpec(op.spec));
      return [];
    case 'dropIndex':
      existing(engine, op.db, op.coll).dropIndex(op.name);
      return [];
    case 'drop': {
      const dropped = engine.catalog.dropCollection(op.db, op.coll);
      return dropped ? [dropChange(dropped)] : [];
    }
    case 'dropDatabase':
      return dropDatabaseChanges(op.db, engine.catalog.dropDatabase(op.db));
    case 'rename':
      return renameInCatalog(engine.catalog, op);
    case 'collMod':
      modifyInCatalog(existing(engine, op.db, op.coll), op.options, op.index ?? undefined);
      return [];
    case 'delete': {
      const collection = existing(engine, op.db, op.coll);
      const before = collection.records.get(canonicalKey(op.id)) ?? null;
      collection.write(before, null);
      return [{ kind: 'delete', db: op.db, coll: op.coll, before: before?.doc ?? null, after: null }];
    }
    default: {
      const collection = existing(engine, op.db, op.coll);
      const after = storedDocument(op.doc as Document, version);
      const before = collection.records.get(after.id) ?? null;
      collection.write(before, after);
      return [{ kind: op.op, db: op.db, coll: op.coll, before: before?.doc ?? null, after: after.doc }];
    }
  }
}

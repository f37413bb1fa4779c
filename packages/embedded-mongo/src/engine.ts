import { Binary, ObjectId } from 'bson';
import type { Document } from 'bson';
import { ChangeLog, transactionMarker } from './change-streams/change-log.js';
import type { ChangeHistoryWindow, ChangeInput } from './change-streams/change-log.js';
import { createChange, indexChange, modifyChange } from './change-streams/ddl-changes.js';
import { ClusterClock } from './cluster-time.js';
import { CursorRegistry } from './cursors.js';
import { CommandError, ErrorCode, writeConflict } from './errors.js';
import { FailPoints } from './fail-points.js';
import type { CommitRecord, CommitSink, RecordOp, RecordedTick, RetryableWrite } from './persistence/commit-record.js';
import { Catalog, validateNamespace } from './storage/catalog.js';
import type { Collection } from './storage/collection.js';
import { withVersion } from './storage/collection.js';
import { describeIndex } from './storage/index-spec.js';
import type { IndexSpec } from './storage/index-spec.js';
import { expiredDocuments, TTL_MONITOR_INTERVAL_MS } from './storage/ttl.js';
import type { ClusterTick } from './cluster-time.js';
import type { WriteOp } from './storage/write-op.js';
import { TransactionRegistry } from './transactions.js';
import type { Transaction } from './transactions.js';
import { checkViewGraph, viewNotCollection, viewOptions } from './views.js';
import type { View } from './views.js';

/** How the server presents itself in hello replies. */
export interface ServerIdentity {
  readonly host: string;
  readonly port: number;
  readonly replSetName: string;
}

/** The whole server state: data, logical clock, change log, sessions and cursors. */
export class Engine {
  readonly catalog = new Catalog();
  readonly clock = new ClusterClock();
  readonly changes: ChangeLog;
  readonly transactions = new TransactionRegistry(() => this.dropUnneededVersions());
  readonly cursors = new CursorRegistry();
  readonly identity: ServerIdentity;
  /** Identifies this server instance in hello's topologyVersion. */
  readonly processId = new ObjectId();
  readonly failPoints = new FailPoints();
  /** Whether test-only commands (configureFailPoint) are accepted. */
  readonly testCommands: boolean;

  private readonly ttlMonitor = setInterval(() => this.expireDocuments(), TTL_MONITOR_INTERVAL_MS).unref();
  /** The journal every commit is recorded in; none when the server keeps nothing. */
  private sink: CommitSink | undefined;
  /** The commits of the work under way in {@link commitsTogether}, journaled when it ends. */
  private grouped: CommitRecord[] | undefined;

  constructor(
    identity: ServerIdentity,
    options: { testCommands: boolean; changeHistory?: ChangeHistoryWindow } = { testCommands: false },
  ) {
    this.identity = identity;
    this.testCommands = options.testCommands;
    this.changes = new ChangeLog(options.changeHistory);
  }

  /** From now on every change to the data, indexes or catalog is recorded in the sink as it is made. */
  recordCommitsIn(sink: CommitSink): void {
    this.sink = sink;
  }

  /** renameCollection: checked here, applied (as at replay) by {@link renameInCatalog}. */
  renameCollection(rename: RenameOp): void {
    if (this.catalog.view(rename.db, rename.coll)) throw viewNotCollection(rename.db, rename.coll);
    const source = this.catalog.collection(rename.db, rename.coll);
    if (!source) {
      throw new CommandError(
        ErrorCode.NamespaceNotFound,
        `Source collection ${rename.db}.${rename.coll} does not exist`,
      );
    }
    if (rename.db === rename.toDb && rename.coll === rename.toColl) {
      throw new CommandError(ErrorCode.IllegalOperation, "Can't rename a collection to itself");
    }
    validateNamespace(rename.toDb, rename.toColl);
    if (this.catalog.view(rename.toDb, rename.toColl)) throw viewNotCollection(rename.toDb, rename.toColl);
    if (this.catalog.collection(rename.toDb, rename.toColl) && !rename.dropTarget) {
      throw new CommandError(ErrorCode.NamespaceExists, 'target namespace exists');
    }
    const tick = this.clock.tick();
    this.changes.append(tick, renameInCatalog(this.catalog, rename));
    this.record({ tick: recordedTick(tick), ops: [rename] });
  }

  /** collMod: new validation options and/or new options of one index; returns the index's options before. */
  modifyCollection(collection: Collection, options: Document, index: CollModIndex | undefined): Document {
    const { before, change } = modifyInCatalog(collection, options, index);
    const tick = this.clock.tick();
    this.changes.append(tick, [change]);
    this.record({
      tick: recordedTick(tick),
      ops: [{ op: 'collMod', db: collection.db, coll: collection.name, options, index }],
    });
    return before;
  }

  /**
   * Settles once every commit made so far is durable (undefined when nothing is pending or nothing
   * is kept): a reply waits for it, so no client ever hears of a write a crash could still lose.
   */
  durable(): Promise<void> | undefined {
    return this.sink?.durable();
  }

  createCollection(db: string, name: string, options: Document = {}): Collection {
    const collection = this.catalog.createCollection(db, name, options);
    const tick = this.clock.tick();
    this.changes.append(tick, [createChange(collection)]);
    this.record({ tick: recordedTick(tick), ops: [createOp(collection)] });
    return collection;
  }

  /** The collection, created implicitly (as inserts and createIndexes do) when missing. */
  ensureCollection(db: string, name: string): Collection {
    return this.catalog.collection(db, name) ?? this.createCollection(db, name);
  }

  /** Builds the indexes that do not exist yet; returns how many it built. */
  createIndexes(collection: Collection, specs: readonly IndexSpec[]): number {
    const built: Extract<RecordOp, { op: 'createIndex' }>[] = [];
    try {
      for (const spec of specs) {
        if (collection.createIndex(spec))
          built.push({ op: 'createIndex', db: collection.db, coll: collection.name, spec: describeIndex(spec) });
      }
    } finally {
      this.recordDdl(
        built,
        built.map((op) => indexChange('createIndexes', collection, op.spec)),
      );
    }
    return built.length;
  }

  dropIndexes(collection: Collection, names: readonly string[]): void {
    const dropped: RecordOp[] = [];
    const changes: ChangeInput[] = [];
    try {
      for (const name of names) {
        const spec = collection.indexes.get(name)?.spec;
        collection.dropIndex(name);
        dropped.push({ op: 'dropIndex', db: collection.db, coll: collection.name, name });
        if (spec) changes.push(indexChange('dropIndexes', collection, describeIndex(spec)));
      }
    } finally {
      this.recordDdl(dropped, changes);
    }
  }

  /** Index DDL that was applied, if any: one commit, with its change events. */
  private recordDdl(ops: readonly RecordOp[], changes: readonly ChangeInput[]): void {
    if (ops.length === 0) return;
    const tick = this.clock.tick();
    this.changes.append(tick, changes);
    this.record({ tick: recordedTick(tick), ops });
  }

  dropCollection(db: string, name: string): Collection | undefined {
    const dropped = this.catalog.dropCollection(db, name);
    if (!dropped) return undefined;
    const tick = this.clock.tick();
    this.changes.append(tick, [dropChange(dropped)]);
    this.record({ tick: recordedTick(tick), ops: [{ op: 'drop', db, coll: name }] });
    return dropped;
  }

  /** Defines a view (create), or redefines one (collMod), once the views it depends on allow it. */
  defineView(view: View, replacing = false): void {
    checkViewGraph(this.catalog, view);
    this.catalog.putView(view, replacing);
    this.record({ ops: [{ op: 'defineView', db: view.db, coll: view.name, options: viewOptions(view) }] });
  }

  dropView(db: string, name: string): View | undefined {
    const dropped = this.catalog.dropView(db, name);
    if (dropped) this.record({ ops: [{ op: 'dropView', db, coll: name }] });
    return dropped;
  }

  dropDatabase(db: string): void {
    const hadViews = this.catalog.views(db).length > 0;
    const dropped = this.catalog.dropDatabase(db);
    if (dropped.length === 0 && !hadViews) return;
    const tick = this.clock.tick();
    this.changes.append(tick, dropDatabaseChanges(db, dropped));
    this.record({ tick: recordedTick(tick), ops: [{ op: 'dropDatabase', db }] });
  }

  /** Deletes what TTL indexes have expired, skipping documents a live transaction holds. */
  expireDocuments(now = Date.now()): void {
    for (const db of this.catalog.databaseNames()) {
      for (const collection of this.catalog.collections(db)) {
        for (const record of expiredDocuments(collection, now)) {
          if (this.transactions.lockHolder(db, collection.name, record.id)) continue;
          this.commitWrite({ kind: 'delete', db, coll: collection.name, before: record, after: null });
        }
      }
    }
  }

  /** Applies writes made outside a transaction: each is its own commit. */
  commitWrite(op: WriteOp): void {
    const collection = this.ensureCollection(op.db, op.coll);
    const tick = this.clock.tick();
    const id = (op.after ?? op.before)?.id as string;
    const retainFor = this.transactions.anyActive ? tick.sequence : undefined;
    collection.write(collection.records.get(id) ?? null, op.after && withVersion(op.after, tick.sequence), retainFor);
    this.changes.append(tick, [changeOf(op, collection)]);
    this.record({ tick: recordedTick(tick), ops: [writeRecordOp(op)] });
  }

  /**
   * Makes a transaction's writes and the collections it created visible at once, under one cluster
   * time, as one journal record. Unique indexes are checked again against what other writers
   * committed meanwhile, and its collections must still be new; a clash aborts it as a write
   * conflict, which the driver's withTransaction retries.
   */
  commitTransaction(transaction: Transaction): void {
    if (transaction.ops.length === 0 && transaction.createdCollections.size === 0) {
      this.transactions.finish(transaction, 'committed');
      return;
    }
    if (this.createdMeanwhile(transaction) || this.violatesUniqueIndex(transaction)) {
      this.transactions.finish(transaction, 'aborted');
      throw writeConflict();
    }
    const created: RecordOp[] = [];
    const creations: ChangeInput[] = [];
    for (const collection of transaction.createdCollections.values()) {
      this.catalog.adopt(collection);
      const indexes = indexOps(collection);
      created.push(createOp(collection), ...indexes);
      creations.push(
        createChange(collection),
        ...indexes.map((op) => indexChange('createIndexes', collection, op.spec)),
      );
    }
    const tick = this.clock.tick();
    const retainFor = this.transactions.othersActive(transaction) ? tick.sequence : undefined;
    for (const writes of transaction.allPending()) {
      const collection = this.catalog.collection(writes.db, writes.coll) as Collection;
      for (const [id, pending] of writes.documents) {
        const after = pending && withVersion(pending, tick.sequence);
        collection.write(collection.records.get(id) ?? null, after, retainFor);
      }
    }
    const { lsid } = transaction.session;
    const marker = transactionMarker(lsid, transaction.txnNumber);
    const writes = transaction.ops.map((op) => changeOf(op, this.catalog.collection(op.db, op.coll)));
    this.changes.append(tick, [...creations, ...writes], marker);
    // Committed before it is journaled: appending may start a snapshot, which must see it so.
    this.transactions.finish(transaction, 'committed');
    this.record({
      tick: recordedTick(tick),
      txn: { lsid, txnNumber: transaction.txnNumber },
      ops: [...created, ...transaction.ops.map(writeRecordOp)],
    });
  }

  /** Whether another client created a collection of the same name since the transaction created its own. */
  private createdMeanwhile(transaction: Transaction): boolean {
    for (const collection of transaction.createdCollections.values()) {
      if (this.catalog.collection(collection.db, collection.name)) return true;
    }
    return false;
  }

  /** Drops the document versions that no running transaction's snapshot needs any more. */
  private dropUnneededVersions(): void {
    const oldest = this.transactions.oldestSnapshot();
    for (const db of this.catalog.databaseNames()) {
      for (const collection of this.catalog.collections(db)) collection.dropVersionsBefore(oldest);
    }
  }

  private violatesUniqueIndex(transaction: Transaction): boolean {
    for (const writes of transaction.allPending()) {
      const collection = this.catalog.collection(writes.db, writes.coll);
      for (const pending of writes.documents.values()) {
        if (pending && collection?.uniqueConflict(pending, (id) => id === pending.id || writes.documents.has(id)))
          return true;
      }
    }
    return false;
  }

  /** The reply fields every command carries: the gossiped cluster time and the operation time. */
  replyTimes(): Document {
    return { $clusterTime: this.clock.gossip(), operationTime: this.clock.current() };
  }

  /**
   * Runs synchronous work (a write command) whose commits are journaled as one record when it ends:
   * one frame, one checksum and one encoding for all of them, and with `retryable`, the outcome of
   * the retryable write the work was. Nothing else runs in between, so nobody sees those commits
   * before they are in the journal's queue.
   */
  commitsTogether<T>(work: () => T, retryable?: (result: T) => RetryableWrite | undefined): T {
    if (!this.sink || this.grouped) return work();
    const grouped: CommitRecord[] = [];
    this.grouped = grouped;
    let outcome: RetryableWrite | undefined;
    try {
      const result = work();
      outcome = grouped.length > 0 ? retryable?.(result) : undefined;
      return result;
    } finally {
      this.grouped = undefined;
      if (outcome) {
        // Known before the record is appended, which may start a snapshot that must include it.
        this.transactions.rememberRetryableWrite(outcome);
        this.sink.append({ commits: grouped, retryable: outcome });
      } else if (grouped.length === 1) this.sink.append(grouped[0] as CommitRecord);
      else if (grouped.length > 1) this.sink.append({ commits: grouped });
    }
  }

  private record(record: CommitRecord): void {
    if (this.grouped) this.grouped.push(record);
    else this.sink?.append(record);
  }

  close(): void {
    clearInterval(this.ttlMonitor);
    this.cursors.closeAll();
    this.changes.wake();
  }
}

/** A write's change event; its collection says the UUID and whether pre- and post-images are kept. */
function changeOf(op: WriteOp, collection: Collection | undefined): ChangeInput {
  return {
    kind: op.kind,
    db: op.db,
    coll: op.coll,
    before: op.before?.doc ?? null,
    after: op.after?.doc ?? null,
    uuid: collection?.uuid,
    images: collection?.recordsImages,
  };
}

export type RenameOp = Extract<RecordOp, { op: 'rename' }>;
export type CollModIndex = { readonly name: string; readonly options: Document };

/** Moves the collection to its new namespace (dropping what was there, if asked); returns its change events. */
export function renameInCatalog(catalog: Catalog, rename: RenameOp): ChangeInput[] {
  const changes: ChangeInput[] = [];
  const target = rename.dropTarget ? catalog.dropCollection(rename.toDb, rename.toColl) : undefined;
  if (target) changes.push(dropChange(target));
  const source = catalog.dropCollection(rename.db, rename.coll) as Collection;
  catalog.adopt(source.renamed(rename.toDb, rename.toColl));
  const to = { db: rename.toDb, coll: rename.toColl };
  changes.push({
    kind: 'rename',
    db: rename.db,
    coll: rename.coll,
    before: null,
    after: null,
    to,
    uuid: source.uuid,
    description: target ? { to, dropTarget: target.uuid } : { to },
  });
  return changes;
}

/**
 * Applies collMod's changes to the collection; returns the changed index's options before (empty
 * without one) and the modify event.
 */
export function modifyInCatalog(
  collection: Collection,
  options: Document,
  index: CollModIndex | undefined,
): { before: Document; change: ChangeInput } {
  const optionsBefore = pick(collection.options, Object.keys(options));
  const table = index && collection.indexes.get(index.name);
  if (index && !table)
    throw new CommandError(ErrorCode.IndexNotFound, `cannot find index ${index.name} for ns ${collection.namespace}`);
  if (Object.keys(options).length > 0) collection.modify(options);
  const before = table?.spec.options ?? {};
  if (table && index) table.spec = { ...table.spec, options: { ...before, ...index.options } };
  const change = modifyChange(
    collection,
    { options, index: index && { name: index.name, ...index.options } },
    { options: optionsBefore, index: index && pick(before, Object.keys(index.options)) },
  );
  return { before, change };
}

/** The fields of a document that are among the names. */
function pick(document: Document, names: readonly string[]): Document {
  return Object.fromEntries(names.filter((name) => name in document).map((name) => [name, document[name]]));
}

export function dropChange(collection: Collection): ChangeInput {
  return { kind: 'drop', db: collection.db, coll: collection.name, before: null, after: null, uuid: collection.uuid };
}

/** The events of a database drop: one drop per collection, then the dropDatabase itself. */
export function dropDatabaseChanges(db: string, dropped: readonly Collection[]): ChangeInput[] {
  return [...dropped.map(dropChange), { kind: 'dropDatabase', db, coll: undefined, before: null, after: null }];
}

export function recordedTick(tick: ClusterTick): RecordedTick {
  return { t: tick.clusterTime.t, i: tick.clusterTime.i, wall: tick.wallTime, seq: tick.sequence };
}

function createOp(collection: Collection): RecordOp {
  return { op: 'create', db: collection.db, coll: collection.name, options: collection.options, uuid: collection.uuid };
}

function indexOps(collection: Collection): Extract<RecordOp, { op: 'createIndex' }>[] {
  return [...collection.indexes.values()].map((table) => ({
    op: 'createIndex',
    db: collection.db,
    coll: collection.name,
    spec: describeIndex(table.spec),
  }));
}

function writeRecordOp(op: WriteOp): RecordOp {
  if (op.received) return { op: 'insert', db: op.db, coll: op.coll, received: new Binary(op.received) };
  if (op.after) return { op: op.kind as 'insert' | 'update' | 'replace', db: op.db, coll: op.coll, doc: op.after.doc };
  return { op: 'delete', db: op.db, coll: op.coll, id: op.before?.doc._id };
}

import { ObjectId } from 'bson';
import type { Document } from 'bson';
import { ChangeLog, transactionMarker } from './change-streams/change-log.js';
import type { ChangeInput } from './change-streams/change-log.js';
import { ClusterClock } from './cluster-time.js';
import { CursorRegistry } from './cursors.js';
import { writeConflict } from './errors.js';
import { Catalog } from './storage/catalog.js';
import { withVersion } from './storage/collection.js';
import { expiredDocuments, TTL_MONITOR_INTERVAL_MS } from './storage/ttl.js';
import type { WriteOp } from './storage/write-op.js';
import { TransactionRegistry } from './transactions.js';
import type { Transaction } from './transactions.js';

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
  readonly changes = new ChangeLog();
  readonly transactions = new TransactionRegistry();
  readonly cursors = new CursorRegistry();
  readonly identity: ServerIdentity;
  /** Identifies this server instance in hello's topologyVersion. */
  readonly processId = new ObjectId();

  private readonly ttlMonitor = setInterval(() => this.expireDocuments(), TTL_MONITOR_INTERVAL_MS).unref();

  constructor(identity: ServerIdentity) {
    this.identity = identity;
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
    const tick = this.clock.tick();
    const collection = this.catalog.ensureCollection(op.db, op.coll);
    const id = (op.after ?? op.before)?.id as string;
    collection.write(collection.records.get(id) ?? null, op.after && withVersion(op.after, tick.sequence));
    this.changes.append(tick, [changeOf(op)]);
  }

  /**
   * Makes a transaction's writes visible at once, under one cluster time. Unique indexes are checked
   * again against what other writers committed meanwhile; a clash aborts it as a write conflict,
   * which the driver's withTransaction retries.
   */
  commitTransaction(transaction: Transaction): void {
    if (transaction.ops.length === 0) {
      this.transactions.finish(transaction, 'committed');
      return;
    }
    if (this.violatesUniqueIndex(transaction)) {
      this.transactions.finish(transaction, 'aborted');
      throw writeConflict();
    }
    const tick = this.clock.tick();
    for (const writes of transaction.allPending()) {
      const collection = this.catalog.ensureCollection(writes.db, writes.coll);
      for (const [id, pending] of writes.documents) {
        collection.write(collection.records.get(id) ?? null, pending && withVersion(pending, tick.sequence));
      }
    }
    const marker = transactionMarker(transaction.session.lsid, transaction.txnNumber);
    this.changes.append(tick, transaction.ops.map(changeOf), marker);
    this.transactions.finish(transaction, 'committed');
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

  /** Logs catalog changes (collection or database drops) for change streams. */
  logCatalogChanges(changes: ChangeInput[]): void {
    if (changes.length > 0) this.changes.append(this.clock.tick(), changes);
  }

  /** The reply fields every command carries: the gossiped cluster time and the operation time. */
  replyTimes(): Document {
    return { $clusterTime: this.clock.gossip(), operationTime: this.clock.current() };
  }

  close(): void {
    clearInterval(this.ttlMonitor);
    this.cursors.closeAll();
    this.changes.wake();
  }
}

function changeOf(op: WriteOp): ChangeInput {
  return { kind: op.kind, db: op.db, coll: op.coll, before: op.before?.doc ?? null, after: op.after?.doc ?? null };
}

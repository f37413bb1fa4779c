import type { Document } from 'bson';
import type { Engine } from './engine.js';
import { writeConflict } from './errors.js';
import { compileFilter } from './query/mingo.js';
import type { CollectionResolver } from './query/mingo.js';
import type { Collection, StoredDocument } from './storage/collection.js';
import { storedDocument } from './storage/collection.js';
import { candidateDocuments } from './storage/planner.js';
import { copyView } from './values/view.js';
import type { WriteKind, WriteOp } from './storage/write-op.js';
import type { PendingWrites, Transaction } from './transactions.js';

/**
 * Reads and writes as one command sees them: committed data, overlaid with the transaction's own
 * pending writes when it runs inside one. Outside a transaction every write commits at once.
 */
export class DataAccess {
  private readonly engine: Engine;
  private readonly transaction: Transaction | undefined;

  constructor(engine: Engine, transaction: Transaction | undefined) {
    this.engine = engine;
    this.transaction = transaction;
  }

  /** The visible documents matching a filter (given in view form), in natural order. */
  find(db: string, coll: string, filter: Document): StoredDocument[] {
    const collection = this.engine.catalog.collection(db, coll);
    const pending = this.pending(db, coll)?.documents;
    const matcher = compileFilter(filter);
    const found: StoredDocument[] = [];
    if (collection) {
      for (const record of candidateDocuments(collection, filter)) {
        if (!pending?.has(record.id) && matcher.test(record.view)) found.push(record);
      }
    }
    for (const record of pending?.values() ?? []) {
      if (record && matcher.test(record.view)) found.push(record);
    }
    return found;
  }

  /** Resolves collection names of $lookup and friends to (copies of) their visible documents. */
  resolver(db: string): CollectionResolver {
    return (name) => this.find(db, name, {}).map((record) => copyView(record.view));
  }

  insert(db: string, coll: string, doc: Document): StoredDocument {
    const collection = this.engine.ensureCollection(db, coll);
    const record = storedDocument(doc, 0);
    collection.validate(record);
    this.checkWritable(collection, record.id);
    if (this.visible(collection, record.id)) throw collection.duplicateIdError(doc._id);
    this.checkUnique(collection, record);
    this.apply({ kind: 'insert', db, coll, before: null, after: record });
    return record;
  }

  update(
    db: string,
    coll: string,
    before: StoredDocument,
    doc: Document,
    kind: Extract<WriteKind, 'update' | 'replace'>,
  ): StoredDocument {
    const collection = this.engine.ensureCollection(db, coll);
    const record = storedDocument(doc, 0);
    collection.validate(record);
    this.checkWritable(collection, before.id);
    this.checkUnique(collection, record);
    this.apply({ kind, db, coll, before, after: record });
    return record;
  }

  remove(db: string, coll: string, before: StoredDocument): void {
    const collection = this.engine.ensureCollection(db, coll);
    this.checkWritable(collection, before.id);
    this.apply({ kind: 'delete', db, coll, before, after: null });
  }

  private pending(db: string, coll: string): PendingWrites | undefined {
    return this.transaction?.pendingIn(db, coll);
  }

  private visible(collection: Collection, id: string): StoredDocument | null | undefined {
    const pending = this.pending(collection.db, collection.name)?.documents;
    return pending?.has(id) ? pending.get(id) : collection.records.get(id);
  }

  /**
   * A document another live transaction has written is locked until it ends; inside a
   * transaction, so is one committed by anyone after the transaction's snapshot.
   */
  private checkWritable(collection: Collection, id: string): void {
    const holder = this.engine.transactions.lockHolder(collection.db, collection.name, id);
    if (holder && holder !== this.transaction) throw writeConflict();
    const committed = collection.records.get(id);
    if (this.transaction && committed && committed.version > this.transaction.snapshot) throw writeConflict();
  }

  /** Unique indexes hold over committed data plus this transaction's own writes. */
  private checkUnique(collection: Collection, record: StoredDocument): void {
    const pending = this.pending(collection.db, collection.name)?.documents;
    collection.checkUnique(record, (id) => id === record.id || (pending?.has(id) ?? false));
    if (!pending) return;
    const others = [...pending.values()].filter(
      (other): other is StoredDocument => other !== null && other.id !== record.id,
    );
    collection.checkUniqueAmong(record, others);
  }

  private apply(op: WriteOp): void {
    if (!this.transaction) {
      this.engine.commitWrite(op);
      return;
    }
    this.transaction.record(op);
    this.engine.transactions.lock(this.transaction, op.db, op.coll, (op.after ?? op.before)?.id as string);
  }
}

import type { Document } from 'bson';
import type { Engine } from './engine.js';
import { CommandError, ErrorCode, writeConflict } from './errors.js';
import type { Collation } from './query/collation.js';
import { compileFilter, runPipeline } from './query/mingo.js';
import type { CollectionResolver } from './query/mingo.js';
import { validateNamespace } from './storage/catalog.js';
import { Collection, storedDocument } from './storage/collection.js';
import type { StoredDocument } from './storage/collection.js';
import { duplicateKeyError } from './storage/duplicate-key.js';
import { IndexTable } from './storage/index-table.js';
import { candidateDocuments } from './storage/planner.js';
import { isPlainObject } from './values/kinds.js';
import { copyView, toView } from './values/view.js';
import { namespaceOf } from './storage/write-op.js';
import type { WriteKind, WriteOp } from './storage/write-op.js';
import type { PendingWrites, Transaction } from './transactions.js';
import { resolveView, viewNotCollection } from './views.js';
import type { View } from './views.js';

/** The transaction's pending documents as entries of a unique index, built on first use (then kept by the transaction). */
function pendingEntries(pending: PendingWrites, index: IndexTable): IndexTable {
  const existing = pending.uniqueEntries.get(index.spec.name);
  if (existing?.spec === index.spec) return existing;
  const table = new IndexTable(index.spec);
  for (const record of pending.documents.values()) if (record) table.add(record.id, record.doc, record.view);
  pending.uniqueEntries.set(index.spec.name, table);
  return table;
}

/** An `_id` may be a document, but not one with `$`-prefixed fields (MongoDB refuses to store it). */
function checkStorableId(id: unknown): void {
  if (!isPlainObject(id)) return;
  const field = Object.keys(id).find((key) => key.startsWith('$'));
  if (field !== undefined) {
    throw new CommandError(
      ErrorCode.DollarPrefixedFieldName,
      `_id fields may not contain '$'-prefixed fields: ${field} is not valid for storage.`,
    );
  }
}

/**
 * Reads and writes as one command sees them. Outside a transaction: the latest committed data, and
 * every write commits at once. Inside one: the committed data as of the transaction's snapshot,
 * overlaid with its own pending writes and the collections it created.
 */
export class DataAccess {
  private readonly engine: Engine;
  private readonly transaction: Transaction | undefined;
  /** The command's `let` variables (view form), read as `$$name` in its filters and pipelines. */
  readonly variables: Document | undefined;

  constructor(engine: Engine, transaction: Transaction | undefined, variables?: Document) {
    this.engine = engine;
    this.transaction = transaction;
    this.variables = variables;
  }

  /** The collection as the command sees it: committed, or created by its own transaction. */
  collection(db: string, coll: string): Collection | undefined {
    return this.engine.catalog.collection(db, coll) ?? this.transaction?.createdCollections.get(namespaceOf(db, coll));
  }

  /**
   * The collection a write goes to, created when missing: at once outside a transaction, inside one
   * privately until it commits.
   */
  writableCollection(db: string, coll: string): Collection {
    this.refuseView(db, coll);
    const existing = this.collection(db, coll);
    if (existing) return existing;
    if (!this.transaction) return this.engine.ensureCollection(db, coll);
    return this.createInTransaction(db, coll, {});
  }

  /** Creates a collection inside the transaction: invisible to everyone else until it commits. */
  createInTransaction(db: string, coll: string, options: Document): Collection {
    validateNamespace(db, coll);
    const collection = new Collection(db, coll, options);
    this.transaction?.createdCollections.set(namespaceOf(db, coll), collection);
    return collection;
  }

  /** The visible documents matching a filter (given in view form) under a collation, in natural order. */
  find(db: string, coll: string, filter: Document, collation?: Collation): StoredDocument[] {
    const collection = this.collection(db, coll);
    const pending = this.pending(db, coll)?.documents;
    const snapshot = this.transaction?.snapshot;
    const matcher = compileFilter(filter, { variables: this.variables, collation });
    const found: StoredDocument[] = [];
    if (collection) {
      for (const record of candidateDocuments(collection, filter, collation)) {
        if (pending?.has(record.id) || (snapshot !== undefined && record.version > snapshot)) continue;
        if (matcher.test(record.view)) found.push(record);
      }
      // What later commits changed is seen as it was at the snapshot.
      if (snapshot !== undefined) {
        for (const record of collection.versionsReplacedAfter(snapshot)) {
          if (!pending?.has(record.id) && matcher.test(record.view)) found.push(record);
        }
      }
    }
    for (const record of pending?.values() ?? []) {
      if (record && matcher.test(record.view)) found.push(record);
    }
    return found;
  }

  /** Commands that need a collection refuse a view's name (CommandNotSupportedOnView). */
  refuseView(db: string, coll: string): void {
    if (this.engine.catalog.view(db, coll)) throw viewNotCollection(db, coll);
  }

  /**
   * The documents (view form) of a view, run through the given stages after its own pipeline, as
   * MongoDB runs a read of a view: one aggregation over the collection under it. A leading $match
   * of the view selects through the planner.
   */
  readView(view: View, stages: readonly Document[], collation: Collation | undefined): Document[] {
    const resolved = resolveView(this.engine.catalog, view);
    const [first, ...rest] = resolved.pipeline;
    const leadingMatch = first && Object.keys(first)[0] === '$match' ? (first.$match as Document) : undefined;
    const input = this.find(view.db, resolved.collection, toView(leadingMatch ?? {}), collation).map(
      (record) => record.view,
    );
    const pipeline = toView([...(leadingMatch ? rest : resolved.pipeline), ...stages]);
    return runPipeline(input, pipeline, this.resolver(view.db), { variables: this.variables, collation });
  }

  /** Resolves collection (and view) names of $lookup and friends to (copies of) their visible documents. */
  resolver(db: string): CollectionResolver {
    return (name) => {
      const view = this.engine.catalog.view(db, name);
      if (view) return this.readView(view, [], view.collation);
      return this.find(db, name, {}).map((record) => copyView(record.view));
    };
  }

  /** `received`: the document's bytes as the client sent them, journaled as they are. */
  insert(db: string, coll: string, doc: Document, received?: Uint8Array): StoredDocument {
    checkStorableId(doc._id);
    const collection = this.writableCollection(db, coll);
    const record = storedDocument(doc, 0);
    collection.validate(record);
    this.checkWritable(collection, record.id);
    if (this.visible(collection, record.id)) throw collection.duplicateIdError(doc._id);
    this.checkUnique(collection, record);
    this.apply({ kind: 'insert', db, coll, before: null, after: record, received });
    return record;
  }

  update(
    db: string,
    coll: string,
    before: StoredDocument,
    doc: Document,
    kind: Extract<WriteKind, 'update' | 'replace'>,
  ): StoredDocument {
    const collection = this.writableCollection(db, coll);
    const record = storedDocument(doc, 0);
    collection.validate(record);
    this.checkWritable(collection, before.id);
    this.checkUnique(collection, record);
    this.apply({ kind, db, coll, before, after: record });
    return record;
  }

  remove(db: string, coll: string, before: StoredDocument): void {
    const collection = this.writableCollection(db, coll);
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
   * transaction, so is one that anyone committed a change to (or deleted) after its snapshot.
   */
  private checkWritable(collection: Collection, id: string): void {
    const holder = this.engine.transactions.lockHolder(collection.db, collection.name, id);
    if (holder && holder !== this.transaction) throw writeConflict();
    if (this.transaction && collection.changedAfter(id, this.transaction.snapshot)) throw writeConflict();
  }

  /** Unique indexes hold over committed data plus this transaction's own writes. */
  private checkUnique(collection: Collection, record: StoredDocument): void {
    const pending = this.pending(collection.db, collection.name);
    collection.checkUnique(record, (id) => id === record.id || (pending?.documents.has(id) ?? false));
    if (!pending) return;
    for (const index of collection.indexes.values()) {
      if (!index.spec.unique) continue;
      const keyValue = pendingEntries(pending, index).conflict(record.doc, record.view, (id) => id === record.id);
      if (keyValue) throw duplicateKeyError(collection.namespace, index.spec.name, index.spec.key, keyValue);
    }
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

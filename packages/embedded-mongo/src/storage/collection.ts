import { UUID } from 'bson';
import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { describeCollation, parseCollation } from '../query/collation.js';
import type { Collation } from '../query/collation.js';
import { compileFilter } from '../query/mingo.js';
import type { Filter } from '../query/mingo.js';
import { canonicalKey } from '../values/canonical.js';
import { toView } from '../values/view.js';
import { duplicateKeyError } from './duplicate-key.js';
import { describeIndex, ID_INDEX, ID_INDEX_NAME } from './index-spec.js';
import type { IndexSpec } from './index-spec.js';
import { IndexTable } from './index-table.js';

/** An immutable stored document: its `_id` key, exact BSON form, mingo view, and the commit that wrote it. */
export interface StoredDocument {
  readonly id: string;
  readonly doc: Document;
  readonly view: Document;
  readonly version: number;
}

export function storedDocument(doc: Document, version: number): StoredDocument {
  return { id: canonicalKey(doc._id), doc, view: toView(doc), version };
}

export function withVersion(record: StoredDocument, version: number): StoredDocument {
  return { ...record, version };
}

/** The state of a document before the commit `replacedAt` changed it (null: it did not exist). */
interface PriorVersion {
  readonly prior: StoredDocument | null;
  readonly replacedAt: number;
}

function compileValidator(options: Document): Filter | undefined {
  const enforced = options.validationLevel !== 'off' && options.validationAction !== 'warn';
  return options.validator && enforced ? compileFilter(options.validator as Document) : undefined;
}

/** Collection options this server can honour; anything else is refused at create time. */
const SUPPORTED_OPTIONS = new Set([
  'validator',
  'validationLevel',
  'validationAction',
  'comment',
  'changeStreamPreAndPostImages',
  'collation',
]);

/** The options as stored and listed: a collation in its full form, the simple one left out (as mongod does). */
function withCollation(options: Document, collation: Collation | undefined): Document {
  const { collation: _given, ...rest } = options;
  return collation ? { ...rest, collation: describeCollation(collation) } : rest;
}

/** `changeStreamPreAndPostImages` must be `{ enabled: <bool> }`, as MongoDB 6.0+ takes it. */
export function checkPreAndPostImagesOption(options: Document): void {
  const value: unknown = options.changeStreamPreAndPostImages;
  if (value === undefined) return;
  const enabled = (value as { enabled?: unknown } | null)?.enabled;
  if (typeof value !== 'object' || value === null || typeof enabled !== 'boolean' || Object.keys(value).length !== 1) {
    throw new CommandError(
      ErrorCode.TypeMismatch,
      "BSON field 'changeStreamPreAndPostImages' must be a document of the form { enabled: <bool> }",
    );
  }
}

export class Collection {
  readonly db: string;
  readonly name: string;
  readonly uuid: UUID;
  options: Document;
  /** The default collation of its operations and indexes; undefined for the simple one. */
  readonly collation: Collation | undefined;
  /** Documents by the canonical key of their `_id`: the `_id_` index. */
  readonly records = new Map<string, StoredDocument>();
  readonly indexes = new Map<string, IndexTable>();
  /**
   * Versions replaced while a transaction was running, per document id in commit order, kept
   * until no running transaction's snapshot predates them.
   */
  private readonly priorVersions = new Map<string, PriorVersion[]>();
  private validator: Filter | undefined;

  constructor(db: string, name: string, options: Document = {}, uuid = new UUID()) {
    for (const option of Object.keys(options)) {
      if (!SUPPORTED_OPTIONS.has(option)) {
        throw new CommandError(
          ErrorCode.InvalidOptions,
          `Collection option '${option}' is not supported by the embedded MongoDB server`,
        );
      }
    }
    checkPreAndPostImagesOption(options);
    this.db = db;
    this.name = name;
    this.collation = parseCollation(options.collation);
    this.options = withCollation(options, this.collation);
    this.uuid = uuid;
    this.validator = compileValidator(options);
  }

  /** The same collection under another name: its documents, indexes, options and UUID. */
  renamed(db: string, name: string): Collection {
    const moved = new Collection(db, name, this.options, this.uuid);
    for (const [id, record] of this.records) moved.records.set(id, record);
    for (const [indexName, table] of this.indexes) moved.indexes.set(indexName, table);
    return moved;
  }

  /** Changes the validation options (collMod); the others are kept. */
  /** Whether change streams get the pre- and post-images of its writes (changeStreamPreAndPostImages). */
  get recordsImages(): boolean {
    return (this.options.changeStreamPreAndPostImages as { enabled?: boolean } | undefined)?.enabled === true;
  }

  modify(changes: Document): void {
    checkPreAndPostImagesOption(changes);
    const options = { ...this.options, ...changes };
    this.validator = compileValidator(options);
    this.options = options;
  }

  get namespace(): string {
    return `${this.db}.${this.name}`;
  }

  /**
   * Replaces `before` by `after` (either may be null for an insert or delete), keeping indexes in
   * step. With `retainFor`, the commit number of the change, the replaced version is kept for the
   * snapshots of running transactions.
   */
  write(before: StoredDocument | null, after: StoredDocument | null, retainFor?: number): void {
    if (retainFor !== undefined) {
      const id = (after ?? before)?.id as string;
      const versions = this.priorVersions.get(id) ?? [];
      versions.push({ prior: before, replacedAt: retainFor });
      this.priorVersions.set(id, versions);
    }
    if (before) {
      this.records.delete(before.id);
      for (const index of this.indexes.values()) index.remove(before.id, before.doc, before.view);
    }
    if (after) {
      this.records.set(after.id, after);
      for (const index of this.indexes.values()) index.add(after.id, after.doc, after.view);
    }
  }

  /**
   * The documents as of the snapshot that a later commit changed: the version each had then (the
   * current one of an unchanged document is the one in {@link records}).
   */
  *versionsReplacedAfter(snapshot: number): Generator<StoredDocument> {
    for (const versions of this.priorVersions.values()) {
      const first = versions.find((version) => version.replacedAt > snapshot);
      if (first?.prior) yield first.prior;
    }
  }

  /** Whether a commit after the snapshot changed (wrote or deleted) the document. */
  changedAfter(id: string, snapshot: number): boolean {
    const current = this.records.get(id);
    if (current && current.version > snapshot) return true;
    return this.priorVersions.get(id)?.some((version) => version.replacedAt > snapshot) ?? false;
  }

  /** Drops the kept versions no snapshot at or after `oldest` needs (all of them when no transaction runs). */
  dropVersionsBefore(oldest: number | undefined): void {
    for (const [id, versions] of this.priorVersions) {
      const needed = oldest === undefined ? [] : versions.filter((version) => version.replacedAt > oldest);
      if (needed.length === 0) this.priorVersions.delete(id);
      else if (needed.length < versions.length) this.priorVersions.set(id, needed);
    }
  }

  /** The duplicate key error of the first unique index the document collides in, ignoring the given ids. */
  uniqueConflict(candidate: StoredDocument, ignore: (id: string) => boolean): CommandError | undefined {
    for (const index of this.indexes.values()) {
      const keyValue = index.conflict(candidate.doc, candidate.view, ignore);
      if (keyValue) return duplicateKeyError(this.namespace, index.spec.name, index.spec.key, keyValue);
    }
    return undefined;
  }

  checkUnique(candidate: StoredDocument, ignore: (id: string) => boolean): void {
    const conflict = this.uniqueConflict(candidate, ignore);
    if (conflict) throw conflict;
  }

  duplicateIdError(id: unknown): CommandError {
    return duplicateKeyError(this.namespace, ID_INDEX_NAME, ID_INDEX.key, { _id: id });
  }

  validate(candidate: StoredDocument): void {
    if (this.validator && !this.validator.test(candidate.view)) {
      throw new CommandError(ErrorCode.DocumentValidationFailure, 'Document failed validation', {
        details: { errInfo: { failingDocumentId: candidate.doc._id } },
      });
    }
  }

  /** Builds the index over the existing documents; false when an identical index already exists. */
  createIndex(spec: IndexSpec): boolean {
    if (this.hasIndex(spec)) return false;
    const table = new IndexTable(spec);
    for (const record of this.records.values()) {
      const keyValue = table.conflict(record.doc, record.view, (id) => id === record.id);
      if (keyValue) throw duplicateKeyError(this.namespace, spec.name, spec.key, keyValue);
      table.add(record.id, record.doc, record.view);
    }
    this.indexes.set(spec.name, table);
    return true;
  }

  dropIndex(name: string): void {
    if (name === ID_INDEX_NAME) throw new CommandError(ErrorCode.InvalidOptions, 'cannot drop _id index');
    if (!this.indexes.delete(name))
      throw new CommandError(ErrorCode.IndexNotFound, `index not found with name [${name}]`);
  }

  /** Whether an identical index exists; a clash of name or key with a different index is an error. */
  private hasIndex(spec: IndexSpec): boolean {
    const sameKey = (other: IndexSpec): boolean => canonicalKey(other.key) === canonicalKey(spec.key);
    const sameOptions = (other: IndexSpec): boolean =>
      canonicalKey(describeIndex(other)) === canonicalKey(describeIndex(spec));
    for (const other of [ID_INDEX, ...[...this.indexes.values()].map((table) => table.spec)]) {
      if (other.name === spec.name && !sameKey(other)) {
        throw new CommandError(
          ErrorCode.IndexKeySpecsConflict,
          `An existing index has the same name as the requested index. Requested index: ${JSON.stringify(describeIndex(spec))}, existing index: ${JSON.stringify(describeIndex(other))}`,
        );
      }
      if (!sameKey(other)) continue;
      if (other.name !== spec.name) {
        throw new CommandError(
          ErrorCode.IndexOptionsConflict,
          `Index already exists with a different name: ${other.name}`,
        );
      }
      if (other !== ID_INDEX && !sameOptions(other)) {
        throw new CommandError(
          ErrorCode.IndexOptionsConflict,
          `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(describeIndex(spec))}, existing index: ${JSON.stringify(describeIndex(other))}`,
        );
      }
      return true;
    }
    return false;
  }

  describeIndexes(): Document[] {
    return [describeIndex(ID_INDEX), ...[...this.indexes.values()].map((table) => describeIndex(table.spec))];
  }
}

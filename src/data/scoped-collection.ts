import type { ClientSession, Collection } from 'mongodb';
import type { RawDocument } from './connection.js';
import type { Filter, FindOptions, NewDocument, Pipeline, StoredDocument, Update } from './documents.js';
import { isId, newId } from './ids.js';
import { assertSafeQuery, refuse } from './query-guards.js';
import type { Scope } from './scope.js';

/**
 * The small collection API shared by tenant-bound and platform access; TNew is what an insert takes
 * (for tenant data, a document without its tenant).
 */
export interface DataCollection<TDoc extends StoredDocument, TNew = NewDocument<TDoc>> {
  /** A non-string or malformed id names no document: null, without a query. */
  findById(id: unknown): Promise<TDoc | null>;
  /** The documents found, in no particular order; malformed ids are skipped. */
  findByIds(ids: readonly string[]): Promise<TDoc[]>;
  findOne(filter: Filter): Promise<TDoc | null>;
  find(filter: Filter, options?: FindOptions): Promise<TDoc[]>;
  count(filter?: Filter): Promise<number>;
  /** Stores the document with a new id unless it brings one, and returns it as stored. */
  insertOne(doc: TNew): Promise<TDoc>;
  /** insertOne for many documents, in order, in one command; all are stored or (in a transaction) none. */
  insertMany(docs: readonly TNew[]): Promise<TDoc[]>;
  /**
   * Stores the document unless one with its id exists (which is then left as it is), and returns the
   * document as stored: what idempotent seeding needs, in one atomic write.
   */
  insertIfMissing(doc: TNew & { _id: string }): Promise<TDoc>;
  /** The document after the update, or null when nothing matched. */
  updateOne(filter: Filter, update: Update): Promise<TDoc | null>;
  /**
   * The document after the update, inserted first when nothing matches: the new document takes the
   * filter's equalities, the id the filter names (or a new one) and, for tenant data, the tenant.
   */
  upsertOne(filter: Filter, update: Update): Promise<TDoc>;
  /** The deleted document, or null when nothing matched. */
  deleteOne(filter: Filter): Promise<TDoc | null>;
  /** Deletes every document the filter matches (within the scope); the number deleted. */
  deleteMany(filter: Filter): Promise<number>;
  aggregate<TOut = Record<string, unknown>>(pipeline: Pipeline): Promise<TOut[]>;
}

const nonNegativeInteger = (value: number | undefined, name: string): number | undefined => {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    refuse(`${name} must be a non-negative integer`);
  }
  return value;
};

/**
 * An upserted document must get a string id like every other: the one the filter names by equality,
 * else a new one through $setOnInsert (without it the server would invent an ObjectId).
 */
function withUpsertId(filter: Filter, update: Update): Update {
  if (!('_id' in filter)) {
    const setOnInsert = (update.$setOnInsert ?? {}) as Record<string, unknown>;
    return { ...update, $setOnInsert: { ...setOnInsert, _id: newId() } };
  }
  if (!isId(filter._id)) refuse('an upsert must name its _id as a plain id, or not at all');
  return update;
}

type Run<T> = (collection: Collection<RawDocument>, session: ClientSession | undefined) => Promise<T>;

/**
 * How a ScopedCollection reaches the driver: a read or a write runs against the collection where the
 * data is at that moment (a tenant's placement can change between two operations: placement-router.ts).
 */
export interface CollectionAccess {
  read<T>(run: Run<T>): Promise<T>;
  write<T>(run: Run<T>): Promise<T>;
}

/** One driver collection, and the session every operation joins when there is one. */
export function fixedAccess(collection: Collection<RawDocument>, session: ClientSession | undefined): CollectionAccess {
  return { read: (run) => run(collection, session), write: (run) => run(collection, session) };
}

/** A driver collection seen through a scope. */
export class ScopedCollection<TDoc extends StoredDocument, TNew = NewDocument<TDoc>>
  implements DataCollection<TDoc, TNew>
{
  readonly #access: CollectionAccess;
  readonly #scope: Scope;

  constructor(access: CollectionAccess, scope: Scope) {
    this.#access = access;
    this.#scope = scope;
  }

  async findById(id: unknown): Promise<TDoc | null> {
    if (!isId(id)) return null;
    return this.findOne({ _id: id });
  }

  async findByIds(ids: readonly string[]): Promise<TDoc[]> {
    const valid = [...new Set(ids.filter(isId))];
    if (valid.length === 0) return [];
    return this.find({ _id: { $in: valid } });
  }

  async findOne(filter: Filter): Promise<TDoc | null> {
    const scoped = this.#scope.filter(filter);
    return (await this.#access.read((collection, session) => collection.findOne(scoped, { session }))) as TDoc | null;
  }

  async find(filter: Filter, options: FindOptions = {}): Promise<TDoc[]> {
    const scoped = this.#scope.filter(filter);
    const limit = nonNegativeInteger(options.limit, 'limit');
    const skip = nonNegativeInteger(options.skip, 'skip');
    if (limit === 0) return [];
    if (options.sort !== undefined) assertSafeQuery('sort', options.sort);
    if (options.projection !== undefined) assertSafeQuery('projection', options.projection);
    const found = await this.#access.read((collection, session) =>
      collection
        .find(scoped, {
          session,
          ...(options.sort !== undefined && { sort: options.sort }),
          ...(options.projection !== undefined && { projection: options.projection }),
          ...(limit !== undefined && { limit }),
          ...(skip !== undefined && { skip }),
        })
        .toArray(),
    );
    return found as unknown as TDoc[];
  }

  async count(filter: Filter = {}): Promise<number> {
    const scoped = this.#scope.filter(filter);
    return this.#access.read((collection, session) => collection.countDocuments(scoped, { session }));
  }

  async insertOne(doc: TNew): Promise<TDoc> {
    const { _id = newId(), ...fields } = this.#scope.insert(doc as Record<string, unknown>);
    if (!isId(_id)) refuse('a document _id must be a 24-hex id');
    const stored = { _id, ...fields };
    await this.#access.write((collection, session) => collection.insertOne(stored, { session }));
    return stored as unknown as TDoc;
  }

  async insertMany(docs: readonly TNew[]): Promise<TDoc[]> {
    const stored = docs.map((doc) => {
      const { _id = newId(), ...fields } = this.#scope.insert(doc as Record<string, unknown>);
      if (!isId(_id)) refuse('a document _id must be a 24-hex id');
      return { _id, ...fields };
    });
    if (stored.length > 0) {
      await this.#access.write((collection, session) => collection.insertMany(stored, { session, ordered: true }));
    }
    return stored as unknown as TDoc[];
  }

  async insertIfMissing(doc: TNew & { _id: string }): Promise<TDoc> {
    const { _id, ...fields } = this.#scope.insert(doc as Record<string, unknown>);
    if (!isId(_id)) refuse('insertIfMissing needs the 24-hex _id that identifies the document');
    // $setOnInsert with the checked document: a match leaves the stored document untouched.
    const scoped = this.#scope.filter({ _id });
    const stored = await this.#access.write((collection, session) =>
      collection.findOneAndUpdate(scoped, { $setOnInsert: fields }, { session, returnDocument: 'after', upsert: true }),
    );
    return stored as unknown as TDoc;
  }

  async updateOne(filter: Filter, update: Update): Promise<TDoc | null> {
    const scoped = this.#scope.filter(filter);
    const checked = this.#scope.update(update, { upsert: false });
    const updated = await this.#access.write((collection, session) =>
      collection.findOneAndUpdate(scoped, checked, { session, returnDocument: 'after' }),
    );
    return updated as TDoc | null;
  }

  async upsertOne(filter: Filter, update: Update): Promise<TDoc> {
    const scoped = this.#scope.filter(filter);
    const checked = withUpsertId(filter, this.#scope.update(update, { upsert: true }));
    const upserted = await this.#access.write((collection, session) =>
      collection.findOneAndUpdate(scoped, checked, { session, returnDocument: 'after', upsert: true }),
    );
    return upserted as unknown as TDoc;
  }

  async deleteOne(filter: Filter): Promise<TDoc | null> {
    const scoped = this.#scope.filter(filter);
    const deleted = await this.#access.write((collection, session) => collection.findOneAndDelete(scoped, { session }));
    return deleted as TDoc | null;
  }

  async deleteMany(filter: Filter): Promise<number> {
    const scoped = this.#scope.filter(filter);
    const result = await this.#access.write((collection, session) => collection.deleteMany(scoped, { session }));
    return result.deletedCount;
  }

  async aggregate<TOut = Record<string, unknown>>(pipeline: Pipeline): Promise<TOut[]> {
    const scoped = this.#scope.pipeline(pipeline);
    const results = await this.#access.read((collection, session) =>
      collection.aggregate(scoped, { session }).toArray(),
    );
    return results as TOut[];
  }
}

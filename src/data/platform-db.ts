import type { ClientSession } from 'mongodb';
import type { CollectionCatalog } from './collection-catalog.js';
import type { Connection, RawDocument } from './connection.js';
import type { LooseDocument, LooseTenantDocument, StoredDocument, TenantDocument } from './documents.js';
import { isId } from './ids.js';
import { platformScope } from './platform-scope.js';
import { fixedAccess, ScopedCollection, type DataCollection } from './scoped-collection.js';
import { runInTransaction } from './transactions.js';

/** A collection of platform data: not scoped by tenant, but with the same refusals as tenant data. */
export type PlatformCollection<TDoc extends StoredDocument = LooseDocument> = DataCollection<TDoc>;

/**
 * Access to the data that is not owned by one tenant (users, tenants, memberships) and to the one
 * deliberate cross-tenant read of tenant data. Used by authentication, tenancy and seeding only.
 */
export interface PlatformDb {
  /**
   * Users, tenants and memberships. Unscoped because they are identity data: a user's memberships
   * are listed across tenants, and the active tenant is resolved from them before any TenantDb exists.
   */
  collection<TDoc extends StoredDocument = LooseDocument>(name: string): PlatformCollection<TDoc>;
  /**
   * The API key with this id, whatever its tenant, or null. Cross-tenant because a key is presented
   * before its tenant is known: authenticating it is what tells the caller's tenant.
   */
  apiKeyById<TDoc extends TenantDocument = LooseTenantDocument>(keyId: unknown): Promise<TDoc | null>;
  withTransaction<T>(fn: (tx: PlatformDb) => Promise<T>): Promise<T>;
  /** Inside a transaction, the id of its session (opaque, storable, see TenantDb.sessionId); else null. */
  readonly sessionId: unknown;
}

class UnscopedPlatformDb implements PlatformDb {
  readonly #connection: Connection;
  readonly #catalog: CollectionCatalog;
  readonly #session: ClientSession | undefined;

  constructor(connection: Connection, catalog: CollectionCatalog, session: ClientSession | undefined) {
    this.#connection = connection;
    this.#catalog = catalog;
    this.#session = session;
  }

  collection<TDoc extends StoredDocument = LooseDocument>(name: string): PlatformCollection<TDoc> {
    this.#catalog.assert(name, 'platform');
    const collection = this.#connection.db.collection<RawDocument>(name);
    const scope = platformScope((other) => this.#catalog.isPlatform(other));
    return new ScopedCollection<TDoc>(fixedAccess(collection, this.#session), scope);
  }

  get sessionId(): unknown {
    return this.#session?.id ?? null;
  }

  async apiKeyById<TDoc extends TenantDocument>(keyId: unknown): Promise<TDoc | null> {
    if (!isId(keyId)) return null;
    const apiKeys = this.#connection.db.collection<RawDocument>('apiKeys');
    return (await apiKeys.findOne({ _id: keyId }, { session: this.#session })) as TDoc | null;
  }

  withTransaction<T>(fn: (tx: PlatformDb) => Promise<T>): Promise<T> {
    return runInTransaction(this.#connection.client, this.#session, (session) =>
      fn(new UnscopedPlatformDb(this.#connection, this.#catalog, session)),
    );
  }
}

/** The platform data, outside any transaction or inside the one of `session` (TenantDb.withSharedTransaction). */
export function createPlatformDb(
  connection: Connection,
  catalog: CollectionCatalog,
  session?: ClientSession,
): PlatformDb {
  return new UnscopedPlatformDb(connection, catalog, session);
}

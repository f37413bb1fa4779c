import type { ClientSession } from 'mongodb';
import type { CollectionCatalog } from './collection-catalog.js';
import type { Connection, RawDocument } from './connection.js';
import type { LooseDocument, NewTenantDocument, StoredDocument } from './documents.js';
import { isId } from './ids.js';
import { refuse } from './query-guards.js';
import { ScopedCollection, type DataCollection } from './scoped-collection.js';
import { tenantScope } from './tenant-scope.js';
import { runInTransaction } from './transactions.js';

/**
 * A collection of one tenant: every filter is scoped to it, every insert stamped with it, and no
 * update, pipeline or filter can reach another tenant's documents.
 */
export type TenantCollection<TDoc extends StoredDocument = LooseDocument> = DataCollection<
  TDoc,
  NewTenantDocument<TDoc>
>;

/**
 * The data layer bound to one tenant, the only way to tenant-owned data. Cheap to create per request.
 * The tenant comes from the constructor only; callers can read it but never choose it per operation.
 */
export interface TenantDb {
  readonly tenantId: string;
  /** True inside withTransaction: what must be written atomically with other writes can check it. */
  readonly inTransaction: boolean;
  /** A tenant collection declared in the catalog; any other name is refused. */
  collection<TDoc extends StoredDocument = LooseDocument>(name: string): TenantCollection<TDoc>;
  /** Runs fn in a transaction; every operation on `tx` joins it. Nested calls join the outer one. */
  withTransaction<T>(fn: (tx: TenantDb) => Promise<T>): Promise<T>;
}

class BoundTenantDb implements TenantDb {
  readonly tenantId: string;
  readonly #connection: Connection;
  readonly #catalog: CollectionCatalog;
  readonly #session: ClientSession | undefined;

  constructor(
    connection: Connection,
    catalog: CollectionCatalog,
    tenantId: string,
    session: ClientSession | undefined,
  ) {
    this.#connection = connection;
    this.#catalog = catalog;
    this.tenantId = tenantId;
    this.#session = session;
  }

  get inTransaction(): boolean {
    return this.#session !== undefined;
  }

  collection<TDoc extends StoredDocument = LooseDocument>(name: string): TenantCollection<TDoc> {
    this.#catalog.assert(name, 'tenant');
    const collection = this.#connection.db.collection<RawDocument>(name);
    const scope = tenantScope(this.tenantId, (other) => this.#catalog.isTenant(other));
    return new ScopedCollection<TDoc, NewTenantDocument<TDoc>>(collection, scope, this.#session);
  }

  withTransaction<T>(fn: (tx: TenantDb) => Promise<T>): Promise<T> {
    return runInTransaction(this.#connection.client, this.#session, (session) =>
      fn(new BoundTenantDb(this.#connection, this.#catalog, this.tenantId, session)),
    );
  }
}

export function createTenantDb(connection: Connection, catalog: CollectionCatalog, tenantId: string): TenantDb {
  if (!isId(tenantId)) refuse('a TenantDb must be bound to a tenant id');
  return new BoundTenantDb(connection, catalog, tenantId, undefined);
}

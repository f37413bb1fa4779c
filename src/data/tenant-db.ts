import type { ClientSession, Collection } from 'mongodb';
import type { CollectionCatalog } from './collection-catalog.js';
import type { Connection, RawDocument } from './connection.js';
import type { LooseDocument, NewTenantDocument, StoredDocument } from './documents.js';
import { isId } from './ids.js';
import { createPlatformDb, type PlatformDb } from './platform-db.js';
import { refuse } from './query-guards.js';
import type { Placement } from './placement.js';
import type { Permit, PlacementRouter } from './placement-router.js';
import { type CollectionAccess, type DataCollection, fixedAccess, ScopedCollection } from './scoped-collection.js';
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
  /**
   * Runs fn in one transaction of the shared database, which holds the platform data: the platform
   * collections (`platform`) and this tenant's shared collections (CollectionDeclaration.shared, such
   * as its API keys) join it, whatever cluster the tenant is placed on. The tenant's placement data is
   * read outside it, as committed, and never written in it (a transaction cannot span clusters): a
   * write of it is refused.
   */
  withSharedTransaction<T>(fn: (tx: TenantDb, platform: PlatformDb) => Promise<T>): Promise<T>;
  /**
   * Inside withTransaction or withSharedTransaction, the id of the transaction's session (opaque, storable): what another
   * process needs to end the transaction if this one dies in it (endSession). Null outside one.
   */
  readonly sessionId: unknown;
  /**
   * Ends the session of a process that died inside a transaction (`killSessions`): its transaction
   * aborts at once, instead of holding the documents it wrote until the server's transaction lifetime
   * (60 s) ends it, on the tenant's placement and on the shared database, wherever it ran. A session
   * that no longer exists is not an error.
   */
  endSession(sessionId: unknown): Promise<void>;
}

/** How a TenantDb finds its tenant's data: the registry's gate, and the connection of a placement. */
export interface TenantPlacements {
  readonly router: PlacementRouter;
  /** The shared database, for the tenant collections kept there (CollectionDeclaration.shared). */
  readonly shared: Connection;
  connection(placement: Placement): Connection;
}

/**
 * The transaction a TenantDb joins: in one placement, whose writes it holds a permit for, or
 * (`sharedOnly`) in the shared database, where only the shared collections join it.
 */
interface Joined {
  connection: Connection;
  session: ClientSession;
  sharedOnly?: true;
}

class BoundTenantDb implements TenantDb {
  readonly tenantId: string;
  readonly #placements: TenantPlacements;
  readonly #catalog: CollectionCatalog;
  readonly #joined: Joined | undefined;

  constructor(placements: TenantPlacements, catalog: CollectionCatalog, tenantId: string, joined: Joined | undefined) {
    this.#placements = placements;
    this.#catalog = catalog;
    this.tenantId = tenantId;
    this.#joined = joined;
  }

  get inTransaction(): boolean {
    return this.#joined !== undefined;
  }

  get sessionId(): unknown {
    return this.#joined?.session.id ?? null;
  }

  async endSession(sessionId: unknown): Promise<void> {
    const permit = this.#placements.router.read(this.tenantId);
    try {
      const clients = new Set([this.#placements.connection(permit.placement).client, this.#placements.shared.client]);
      await Promise.all([...clients].map((client) => client.db('admin').command({ killSessions: [sessionId] })));
    } finally {
      permit.release();
    }
  }

  collection<TDoc extends StoredDocument = LooseDocument>(name: string): TenantCollection<TDoc> {
    this.#catalog.assert(name, 'tenant');
    const scope = tenantScope(this.tenantId, (other) => this.#catalog.isTenant(other));
    const access = this.#catalog.isShared(name)
      ? this.#sharedAccess(name)
      : this.#joined === undefined
        ? this.#routed(name)
        : this.#joined.sharedOnly
          ? this.#readOnly(name)
          : fixedAccess(this.#joined.connection.db.collection<RawDocument>(name), this.#joined.session);
    return new ScopedCollection<TDoc, NewTenantDocument<TDoc>>(access, scope);
  }

  /**
   * A transaction runs in the placement its tenant is in when it starts (a transaction cannot span
   * clusters): the change and its staged event are written together there. It holds a write permit
   * throughout, so a move waits for it before copying the last changes.
   */
  async withTransaction<T>(fn: (tx: TenantDb) => Promise<T>): Promise<T> {
    if (this.#joined !== undefined) return fn(this);
    const permit = await this.#placements.router.write(this.tenantId);
    try {
      const connection = this.#placements.connection(permit.placement);
      return await runInTransaction(connection.client, undefined, (session) =>
        fn(new BoundTenantDb(this.#placements, this.#catalog, this.tenantId, { connection, session })),
      );
    } finally {
      permit.release();
    }
  }

  async withSharedTransaction<T>(fn: (tx: TenantDb, platform: PlatformDb) => Promise<T>): Promise<T> {
    if (this.#joined !== undefined) refuse('a transaction of the shared database cannot join another transaction');
    const { shared } = this.#placements;
    return runInTransaction(shared.client, undefined, (session) =>
      fn(
        new BoundTenantDb(this.#placements, this.#catalog, this.tenantId, {
          connection: shared,
          session,
          sharedOnly: true,
        }),
        createPlatformDb(shared, this.#catalog, session),
      ),
    );
  }

  /** Placement data inside a transaction of the shared database: read as committed, never written. */
  #readOnly(name: string): CollectionAccess {
    const routed = this.#routed(name);
    return {
      read: routed.read,
      write: () => refuse(`a transaction of the shared database cannot write ${name}, kept in the tenant's placement`),
    };
  }

  /** A collection of the shared database; a transaction joins it only on the same cluster. */
  #sharedAccess(name: string): CollectionAccess {
    const { shared } = this.#placements;
    const joined = this.#joined;
    if (joined !== undefined && joined.connection.client !== shared.client) {
      refuse(`a transaction on another cluster cannot include ${name}, which is kept in the shared database`);
    }
    return fixedAccess(shared.db.collection<RawDocument>(name), joined?.session);
  }

  /** Each operation outside a transaction runs where the tenant is at that moment, under a permit. */
  #routed(name: string): CollectionAccess {
    const { router } = this.#placements;
    const run = async <T>(
      permit: Permit,
      fn: (collection: Collection<RawDocument>, session: undefined) => Promise<T>,
    ) => {
      try {
        return await fn(this.#placements.connection(permit.placement).db.collection<RawDocument>(name), undefined);
      } finally {
        permit.release();
      }
    };
    return {
      read: (fn) => run(router.read(this.tenantId), fn),
      write: async (fn) => run(await router.write(this.tenantId), fn),
    };
  }
}

export function createTenantDb(placements: TenantPlacements, catalog: CollectionCatalog, tenantId: string): TenantDb {
  if (!isId(tenantId)) refuse('a TenantDb must be bound to a tenant id');
  return new BoundTenantDb(placements, catalog, tenantId, undefined);
}

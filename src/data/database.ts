import { MongoClient } from 'mongodb';
import type { CollectionCatalog } from './collection-catalog.js';
import type { Connection } from './connection.js';
import type { EventFeed, EventFeedHandlers, EventFeedOptions } from './event-feed.js';
import type { EventSequencer, SequencerOptions } from './event-sequencer.js';
import {
  watchIdentityChanges,
  type IdentityChange,
  type IdentityFeed,
  type IdentityFeedOptions,
} from './identity-feed.js';
import { DocumentWatch, type DocumentListener } from './document-watch.js';
import { PlacedDocumentWatch } from './placed-document-watch.js';
import { gridFsFileStore, type FileStore } from './file-store.js';
import { ensureIndexes } from './indexes.js';
import { createWorkQueue, type WorkQueue } from './work-queue.js';
import { createLimitsStore, type LimitsStore } from './limits-store.js';
import { createPlatformDb, type PlatformDb } from './platform-db.js';
import { Clusters } from './clusters.js';
import { EventTargets } from './event-targets.js';
import {
  type Placement,
  PLACEMENTS_COLLECTION,
  type PlacementRecord,
  placementTarget,
  SHARED_PLACEMENT,
  targetKey,
} from './placement.js';
import {
  followPlacements,
  OBSERVERS_COLLECTION,
  type ObserverDocument,
  type PlacementFollower,
} from './placement-follower.js';
import { type MoveContext, type MoveReport, moveTenantData, recoverMove } from './placement-move.js';
import { PlacementRouter } from './placement-router.js';
import { createTenantDb, type TenantDb, type TenantPlacements } from './tenant-db.js';

export interface DatabaseOptions {
  /** Any MongoDB ≥ 6.0 replica set (transactions need one), or the embedded server's URI. */
  uri: string;
  dbName: string;
  /** The collections and indexes the modules declare (built from src/modules/registry.ts). */
  collections: CollectionCatalog;
  /**
   * Called with the name of every command sent to the server (the driver's command monitoring),
   * for round-trip counts in tests and metrics. Runs inside the driver: it must be quick and not throw.
   */
  onCommand?: (commandName: string) => void;
  /**
   * How long the driver waits for each stage of an operation: finding a server, a connection from
   * the pool, a reply on the socket; and how long a transaction keeps retrying. Default 5000 ms. Past
   * it the operation fails with an error that src/errors.ts calls SERVICE_UNAVAILABLE, and
   * `connectDatabase` itself rejects.
   */
  timeoutMs?: number;
  /** How long ping() waits for the server before answering false; default 2000 ms. */
  pingTimeoutMs?: number;
  /** The lifetime of export events, for their TTL index; default 7 days. */
  eventRetentionSeconds?: number;
  /** The other clusters a placement may name: `<NAME>` → its URI (from `MONGODB_URI_<NAME>`). */
  clusters?: ReadonlyMap<string, string>;
}

export interface Database {
  /** The data layer bound to one tenant; cheap, create one per request. */
  forTenant(tenantId: string): TenantDb;
  /** Users, tenants, memberships and the API-key lookup: the data no single tenant owns. */
  readonly platform: PlatformDb;
  /** True when the server answers a ping in time; never throws (for /readyz). */
  ping(): Promise<boolean>;
  /** Creates the indexes of the collection catalog; idempotent. */
  ensureIndexes(): Promise<void>;
  /** A GridFS bucket of named files (file-store.ts), e.g. the staging of import and export files. */
  files(bucketName: string): FileStore;
  /**
   * A durable queue of leased work across tenants and instances (work-queue.ts), over the platform
   * collections `queue` and `slots` of the catalog: the one deliberate cross-tenant read of queued jobs.
   */
  workQueue(names: { queue: string; slots: string }): WorkQueue;
  /** Consumption reports and the usage ledger of the limits (src/limits); its TTL indexes are its own. */
  readonly limits: LimitsStore;
  /**
   * The committed export events of every tenant, as they are committed (event-feed.ts): the one
   * deliberate cross-tenant read of events, so that one change stream per instance serves all
   * subscribers. Resolves once the stream is open.
   */
  watchEvents(handlers: EventFeedHandlers, options?: EventFeedOptions): Promise<EventFeed>;
  /**
   * This instance's part in giving staged export events their positions (event-sequencer.ts): one
   * instance at a time, elected by a lease, publishes them. Resolves once staged events can be written.
   */
  startEventSequencer(options: Omit<SequencerOptions, 'uri' | 'dbName'>): Promise<EventSequencer>;
  /**
   * Calls `listener` after each committed change of the document `id` of a tenant collection, in the
   * database that holds the tenant, whichever instance made it (document-watch.ts: one change stream
   * per database and collection), also once the tenant moved to another database
   * (placed-document-watch.ts). Resolves once changes are followed, to the function that stops.
   */
  watchDocument(
    tenantId: string,
    collection: string,
    id: string,
    listener: DocumentListener,
  ): Promise<() => Promise<void>>;
  /** Changes to memberships, users and API keys, whichever instance commits them (identity-feed.ts). */
  watchIdentity(onChange: (change: IdentityChange) => void, options?: IdentityFeedOptions): Promise<IdentityFeed>;
  /**
   * Follows the placement registry (placement-follower.ts): every instance that serves tenant data
   * must, so that a move waits for it. Resolves once the registry as stored is applied.
   */
  followPlacements(onError: (error: unknown) => void): Promise<PlacementFollower>;
  /** Where a tenant's data is, as this instance knows it. */
  placementOf(tenantId: string): Placement;
  /**
   * The databases whose export events this instance follows and sequences (`<cluster>/<database>`,
   * the default cluster's with an empty name): the shared one, and every other one a tenant is
   * placed in or is moving to. A database a tenant moved away from is let go.
   */
  eventTargets(): string[];
  /** True when this process can reach the cluster a placement names (its MONGODB_URI_<NAME> is set). */
  knowsCluster(cluster: string | null): boolean;
  /** Moves a tenant's data to another placement while it is served (placement-move.ts). */
  moveTenant(
    tenantId: string,
    to: Placement,
    options?: Pick<MoveContext, 'confirmTimeoutMs' | 'onPhase'>,
  ): Promise<MoveReport>;
  close(): Promise<void>;
}

export async function connectDatabase(options: DatabaseOptions): Promise<Database> {
  const { uri, dbName, collections, onCommand, timeoutMs = 5000, pingTimeoutMs = 2000 } = options;
  const { eventRetentionSeconds = 7 * 24 * 3600 } = options;
  // ignoreUndefined: an absent optional field is left out of the document rather than stored as null.
  // Filters never reach the driver with undefined values (query-guards.ts refuses them), so this
  // cannot turn `{ _id: undefined }` into a filter matching everything.
  // Per-stage timeouts: the driver's single `timeoutMS` (CSOT) is a no-op since 7.8. Without them a
  // request would wait 30 s for an unreachable server, and forever for one that stopped answering.
  const requestTimeouts = {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    waitQueueTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
  };
  const client = new MongoClient(uri, {
    ignoreUndefined: true,
    monitorCommands: onCommand !== undefined,
    ...requestTimeouts,
  });
  if (onCommand !== undefined) client.on('commandStarted', (event) => onCommand(event.commandName));
  try {
    await client.connect();
  } catch (error) {
    await client.close();
    throw error;
  }
  const connection: Connection = { client, db: client.db(dbName) };
  // The change streams and the sequencer have clients of their own: they give up on an absent server
  // within the same time (so a shutdown with the database away ends), but have no socket timeout, as a
  // change stream's getMore waits on the server by design.
  const own = { uri, dbName, clientOptions: { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs } };
  const clusters = new Clusters(connection, uri, options.clusters ?? new Map(), {
    requests: { ignoreUndefined: true, ...requestTimeouts },
    streams: own.clientOptions,
  });
  const registry = connection.db.collection<PlacementRecord>(PLACEMENTS_COLLECTION);
  const loadRegistry = () => registry.find({}).toArray();
  const router = new PlacementRouter();
  for (const record of await loadRegistry()) router.apply(record.tenantId, record);
  const targetOf = (placement: Placement) => placementTarget(placement, dbName);
  const placements: TenantPlacements = {
    router,
    shared: connection,
    connection: (placement) => clusters.connection(targetOf(placement)),
  };
  const shared = targetOf(SHARED_PLACEMENT);
  const eventTargets = new EventTargets(clusters, shared);
  const moveContext = (): MoveContext => ({
    catalog: collections,
    registry,
    observers: connection.db.collection<ObserverDocument>(OBSERVERS_COLLECTION),
    resolve: (placement) => {
      const target = targetOf(placement);
      return { target, connection: clusters.connection(target), stream: clusters.stream(target) };
    },
    eventRetentionSeconds,
  });
  /** Every database that holds tenants or is about to, as this instance knows the registry. */
  const knownTargets = () =>
    router.records().flatMap((record) => [record.placement, ...(record.moveTo ? [record.moveTo] : [])].map(targetOf));
  const documentWatch = new DocumentWatch();
  /** The databases a tenant's documents are followed in: where it is, and where it moves to. */
  const tenantTargets = (tenantId: string) => {
    const record = router.record(tenantId);
    return [record?.placement ?? SHARED_PLACEMENT, ...(record?.moveTo ? [record.moveTo] : [])].map((placement) =>
      clusters.stream(targetOf(placement)),
    );
  };
  const placedWatch = new PlacedDocumentWatch(documentWatch, tenantTargets);
  return {
    forTenant: (tenantId) => createTenantDb(placements, collections, tenantId),
    platform: createPlatformDb(connection, collections),
    limits: createLimitsStore(connection.db),
    files: (bucketName) => gridFsFileStore(connection.db, bucketName),
    workQueue: (names) => {
      const catalog: CollectionCatalog = collections;
      catalog.assert(names.queue, 'platform');
      catalog.assert(names.slots, 'platform');
      return createWorkQueue(connection.db, names);
    },
    async ping() {
      try {
        await connection.db.command({ ping: 1 }, { signal: AbortSignal.timeout(pingTimeoutMs) });
        return true;
      } catch {
        return false;
      }
    },
    async ensureIndexes() {
      const targets = new Map([shared, ...knownTargets()].map((target) => [targetKey(target), target]));
      for (const target of targets.values()) {
        await ensureIndexes(clusters.connection(target).db, collections, { eventRetentionSeconds });
      }
    },
    watchEvents: (handlers, feedOptions = {}) => eventTargets.watchEvents(handlers, feedOptions, knownTargets()),
    startEventSequencer: (sequencerOptions) => eventTargets.startSequencer(sequencerOptions, knownTargets()),
    watchDocument: (tenantId, collection, id, listener) => {
      const catalog: CollectionCatalog = collections;
      catalog.assert(collection, 'tenant');
      return placedWatch.listen(tenantId, collection, id, listener);
    },
    watchIdentity: (onChange, feedOptions) => watchIdentityChanges(own, onChange, feedOptions),
    followPlacements: (onError) =>
      followPlacements({
        ...own,
        router,
        load: loadRegistry,
        onError,
        prepare: async (record) => {
          for (const placement of [record.placement, ...(record.moveTo ? [record.moveTo] : [])]) {
            await eventTargets.ensure(targetOf(placement));
          }
          // The streams of a database no tenant is placed in any more (the one a tenant moved away
          // from, the target of a move rolled back) end here.
          await eventTargets.release(knownTargets());
          eventTargets.catchUp(record.tenantId);
          await placedWatch.moved(record.tenantId);
        },
        recover: (tenantId) => recoverMove(moveContext(), tenantId),
      }),
    placementOf: (tenantId) => router.record(tenantId)?.placement ?? SHARED_PLACEMENT,
    knowsCluster: (cluster) => clusters.knows(cluster),
    eventTargets: () => eventTargets.open(),
    moveTenant: (tenantId, to, moveOptions = {}) => moveTenantData({ ...moveContext(), ...moveOptions }, tenantId, to),
    async close() {
      await documentWatch.close();
      await clusters.close();
      await client.close();
    },
  };
}

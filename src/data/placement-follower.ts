import { randomUUID } from 'node:crypto';
import { type Collection, type Document, MongoClient, type MongoClientOptions } from 'mongodb';
import { openChangeStream } from './change-stream.js';
import { PLACEMENTS_COLLECTION, type PlacementRecord } from './placement.js';
import type { PlacementRouter } from './placement-router.js';

/**
 * The instances that follow the placement registry, each with the registry version it has applied
 * per tenant: a move goes on only once every live instance confirmed (placement-move.ts). No tenant
 * data: an instance's lease and the versions it has seen.
 */
export const OBSERVERS_COLLECTION = 'placementObservers';

export interface ObserverDocument {
  _id: string;
  /** Renewed every third of the lease; an instance whose lease ran out is not waited for. */
  expiresAt: Date;
  /** tenant id → the registry version applied, with no older operation still running here. */
  seen: Record<string, number>;
}

export interface PlacementFollowerOptions {
  uri: string;
  dbName: string;
  /** The options of this follower's own clients (timeouts). */
  clientOptions?: MongoClientOptions;
  router: PlacementRouter;
  /** Readies this instance for a record's placements (their event streams) before it confirms. */
  prepare(record: PlacementRecord): Promise<void>;
  /** The registry as stored now: read after the stream is open, and again after a gap. */
  load(): Promise<PlacementRecord[]>;
  /** Takes over a tenant's move whose mover's lease lapsed, and completes or rolls it back (placement-move.ts). */
  recover(tenantId: string): Promise<unknown>;
  onError(error: unknown): void;
  /** How long an instance counts as live without renewing; default 5 s. */
  leaseMs?: number;
}

export interface PlacementFollower {
  /** Stops following, and withdraws this instance from the ones a move waits for. */
  stop(): Promise<void>;
}

/**
 * Follows the placement registry on this instance: every change is applied to the router at once
 * (writes of a paused tenant wait from then on), and once this instance is ready for the new
 * placement and no operation that resolved the older one still runs, it records the version as
 * seen. It also watches the lease of every move under way: when one lapses without renewal (its
 * mover died), this instance tries to take the move over (one instance wins), so that the tenant's
 * writes do not wait for a dead mover. On clients of its own, like every change stream here.
 */
export async function followPlacements(options: PlacementFollowerOptions): Promise<PlacementFollower> {
  const leaseMs = options.leaseMs ?? 5000;
  const client = new MongoClient(options.uri, { ignoreUndefined: true, ...options.clientOptions });
  await client.connect();
  const observers = client.db(options.dbName).collection<ObserverDocument>(OBSERVERS_COLLECTION);
  const id = randomUUID();
  const renew = () =>
    observers.updateOne(
      { _id: id },
      { $set: { expiresAt: new Date(Date.now() + leaseMs) }, $setOnInsert: { seen: {} } },
      { upsert: true },
    );
  try {
    await renew();
    // Instances that stopped without withdrawing (killed) are not waited for; an hour on, forgotten.
    await observers.deleteMany({ expiresAt: { $lt: new Date(Date.now() - 3_600_000) } });
  } catch (error) {
    await client.close();
    throw error;
  }
  const follower = new Follower(id, observers, options);
  const timer = setInterval(() => renew().catch((error: unknown) => options.onError(error)), Math.floor(leaseMs / 3));
  try {
    const stream = await openChangeStream(
      {
        uri: options.uri,
        dbName: options.dbName,
        collection: PLACEMENTS_COLLECTION,
        ...(options.clientOptions && { clientOptions: options.clientOptions }),
      },
      [{ $match: { operationType: { $in: ['insert', 'update', 'replace', 'delete', 'invalidate'] } } }],
      {
        onChange: (change) => follower.receive(change),
        onGap: () => follower.reload(),
        onError: (error) => options.onError(error),
      },
      { fullDocument: 'updateLookup' },
    );
    await follower.reload();
    return {
      async stop() {
        clearInterval(timer);
        await stream.close();
        follower.stop();
        await follower.settled();
        await observers.deleteOne({ _id: id }).catch(() => undefined);
        await client.close();
      },
    };
  } catch (error) {
    clearInterval(timer);
    await client.close();
    throw error;
  }
}

/** How long past a lease's end an instance waits before taking the move over, plus up to as much again at random. */
const LAPSE_GRACE_MS = 200;

class Follower {
  readonly #id: string;
  readonly #observers: Collection<ObserverDocument>;
  readonly #options: PlacementFollowerOptions;
  /** Confirmations run one after the other per tenant, in version order. */
  readonly #chains = new Map<string, Promise<void>>();
  /** tenant → the highest version confirmed (a lease renewal repeats a version: not confirmed again). */
  readonly #confirmed = new Map<string, number>();
  /** tenant → the timer that takes its move over once the lease lapses. */
  readonly #leases = new Map<string, NodeJS.Timeout>();
  #stopped = false;

  constructor(id: string, observers: Collection<ObserverDocument>, options: PlacementFollowerOptions) {
    this.#id = id;
    this.#observers = observers;
    this.#options = options;
  }

  receive(change: Document): void {
    const tenantId = (change.documentKey as Document | undefined)?._id;
    if (typeof tenantId !== 'string') return;
    if (change.operationType === 'delete') {
      this.#options.router.apply(tenantId, null);
      this.#watchLease(tenantId, null);
      return;
    }
    // updateLookup reads the record as it is now: null once deleted (a delete event follows).
    const record = change.fullDocument as PlacementRecord | null | undefined;
    if (record) this.#apply(record);
  }

  async reload(): Promise<void> {
    for (const record of await this.#options.load()) this.#apply(record);
  }

  async settled(): Promise<void> {
    await Promise.all(this.#chains.values());
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#leases.values()) clearTimeout(timer);
    this.#leases.clear();
  }

  #apply(record: PlacementRecord): void {
    this.#options.router.apply(record.tenantId, record);
    this.#watchLease(record.tenantId, record);
    if ((this.#confirmed.get(record.tenantId) ?? -1) >= record.version) return;
    const previous = this.#chains.get(record.tenantId) ?? Promise.resolve();
    const next = previous.then(() => this.#confirm(record)).catch((error: unknown) => this.#options.onError(error));
    this.#chains.set(record.tenantId, next);
  }

  async #confirm(record: PlacementRecord): Promise<void> {
    if ((this.#confirmed.get(record.tenantId) ?? -1) >= record.version) return;
    await this.#options.prepare(record);
    await this.#options.router.drained(record.tenantId, record.version);
    await this.#observers.updateOne({ _id: this.#id }, { $max: { [`seen.${record.tenantId}`]: record.version } });
    this.#confirmed.set(record.tenantId, Math.max(record.version, this.#confirmed.get(record.tenantId) ?? -1));
  }

  /** (Re)arms the take-over of the tenant's move for when its lease lapses; none without a move. */
  #watchLease(tenantId: string, record: PlacementRecord | null): void {
    clearTimeout(this.#leases.get(tenantId));
    this.#leases.delete(tenantId);
    if (this.#stopped || record?.moveId === undefined) return;
    const lapsesIn = (record.leaseExpiresAt?.getTime() ?? 0) - Date.now();
    const timer = setTimeout(
      () => {
        this.#leases.delete(tenantId);
        this.#options.recover(tenantId).catch((error: unknown) => this.#options.onError(error));
      },
      Math.max(0, lapsesIn) + LAPSE_GRACE_MS * (1 + Math.random()),
    );
    timer.unref();
    this.#leases.set(tenantId, timer);
  }
}

/**
 * Resolves once every live instance has seen `version` of the tenant's record (or none is live);
 * false when `timeoutMs` passed first. Instances whose lease ran out are not waited for.
 */
export async function confirmedEverywhere(
  observers: Collection<ObserverDocument>,
  tenantId: string,
  version: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await observers.find({ expiresAt: { $gt: new Date() } }).toArray();
    if (live.every((observer) => (observer.seen?.[tenantId] ?? 0) >= version)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

import type { Logger } from 'pino';
import type { Database } from '../data/database.js';
import type { EventFeed } from '../data/event-feed.js';
import type { EventSequencer } from '../data/event-sequencer.js';
import type { LooseTenantDocument } from '../data/documents.js';
import type { EventDocument } from './event-document.js';

/** What a subscription stream gives the feed; both are called synchronously and must not throw. */
export interface FeedListener {
  /** A committed event of the listener's tenant, in the tenant's commit order. */
  event(event: EventDocument): void;
  /** Events may have been missed (the change stream restarted without its resume token): catch up. */
  gap(): void;
}

export interface FeedRegistration {
  /** Marks the listener as started, for {@link ExportFeed.subscribers}. */
  ready(): void;
  close(): void;
}

interface Entry {
  listener: FeedListener;
  ready: boolean;
}

function isEventDocument(doc: LooseTenantDocument): doc is LooseTenantDocument & EventDocument {
  return (
    typeof doc.tenantId === 'string' &&
    Number.isSafeInteger(doc.position) &&
    typeof doc.type === 'string' &&
    typeof doc.subject === 'string' &&
    doc.time instanceof Date &&
    typeof doc.data === 'object' &&
    doc.data !== null
  );
}

export interface ExportFeedOptions {
  /** How long the sequencer's lease lasts without renewal (EVENT_SEQUENCER_LEASE_MS); default 10 s. */
  sequencerLeaseMs?: number;
}

/**
 * The export events of one server instance. It takes part in sequencing (database.startEventSequencer:
 * whichever instance holds the lease gives staged events their positions and publishes them), and it
 * follows ONE change stream on the `events` collection (database.watchEvents), fanned out in memory
 * by tenant to the subscription streams of that tenant. Every instance runs its own, so a subscriber
 * on any instance receives the events committed on any other. Started by startApp before it listens
 * (before any event is staged), stopped before the database is closed.
 */
export class ExportFeed {
  readonly #database: Database;
  readonly #logger: Logger;
  readonly #leaseMs: number;
  readonly #byTenant = new Map<string, Set<Entry>>();
  readonly #startedByTenant = new Map<string, number>();
  #watch: EventFeed | null = null;
  #sequencer: EventSequencer | null = null;

  constructor(database: Database, logger: Logger, options: ExportFeedOptions = {}) {
    this.#database = database;
    this.#logger = logger;
    this.#leaseMs = options.sequencerLeaseMs ?? 10_000;
  }

  /** True while this instance's sequencer holds the lease and publishes events. */
  get sequencing(): boolean {
    return this.#sequencer?.leading ?? false;
  }

  /** Joins sequencing and opens the change stream; resolves once events published from now on will be delivered. */
  async start(): Promise<void> {
    if (this.#watch) return;
    this.#sequencer = await this.#database.startEventSequencer({
      leaseMs: this.#leaseMs,
      onError: (error) => this.#logger.error({ err: error }, 'export event sequencer failed; retrying'),
      onHistoryLost: () =>
        this.#logger.error(
          'export event sequencer resumed without its change stream history: events staged meanwhile are ' +
            'published in the order they were staged, which may differ from their commit order',
        ),
    });
    this.#watch = await this.#database.watchEvents({
      onEvent: (doc) => this.#dispatch(doc),
      onGap: () => {
        this.#logger.warn(
          'export event feed restarted without its resume token: subscribers catch up from the database',
        );
        this.#each((entry) => entry.listener.gap());
      },
      onMoved: (tenantId) => {
        for (const entry of [...(this.#byTenant.get(tenantId) ?? [])]) this.#call(() => entry.listener.gap());
      },
      onError: (error, retryMs) =>
        this.#logger.error({ err: error, retryMs }, 'export event change stream failed; reopening it'),
    });
  }

  async stop(): Promise<void> {
    const watch = this.#watch;
    const sequencer = this.#sequencer;
    this.#watch = null;
    this.#sequencer = null;
    await Promise.all([watch?.close(), sequencer?.stop()]);
  }

  /** Registers a listener for one tenant's events; they flow to it until `close()`. */
  listen(tenantId: string, listener: FeedListener): FeedRegistration {
    const entry: Entry = { listener, ready: false };
    const entries = this.#byTenant.get(tenantId) ?? new Set<Entry>();
    entries.add(entry);
    this.#byTenant.set(tenantId, entries);
    return {
      ready: () => {
        if (entry.ready) return;
        entry.ready = true;
        this.#startedByTenant.set(tenantId, (this.#startedByTenant.get(tenantId) ?? 0) + 1);
      },
      close: () => {
        entries.delete(entry);
        if (entries.size === 0 && this.#byTenant.get(tenantId) === entries) this.#byTenant.delete(tenantId);
      },
    };
  }

  /**
   * How many streams of a tenant (or of all tenants) have started on this instance since it started,
   * ended ones included: unlike {@link subscribers}, it never goes down, so a rise means a new stream.
   */
  started(tenantId?: string): number {
    if (tenantId !== undefined) return this.#startedByTenant.get(tenantId) ?? 0;
    return [...this.#startedByTenant.values()].reduce((sum, count) => sum + count, 0);
  }

  /** The started subscription streams of a tenant on this instance (or of all tenants). */
  subscribers(tenantId?: string): number {
    const sets = tenantId === undefined ? [...this.#byTenant.values()] : [this.#byTenant.get(tenantId) ?? new Set()];
    return sets.reduce((sum, entries) => sum + [...entries].filter((entry) => entry.ready).length, 0);
  }

  #dispatch(doc: LooseTenantDocument): void {
    if (!isEventDocument(doc)) {
      this.#logger.error({ eventId: doc._id }, 'export event of an unexpected shape skipped');
      return;
    }
    const entries = this.#byTenant.get(doc.tenantId);
    if (!entries) return;
    for (const entry of [...entries]) this.#call(() => entry.listener.event(doc));
  }

  #each(fn: (entry: Entry) => void): void {
    for (const entries of this.#byTenant.values()) for (const entry of [...entries]) this.#call(() => fn(entry));
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#logger.error({ err: error }, 'export event listener failed');
    }
  }
}

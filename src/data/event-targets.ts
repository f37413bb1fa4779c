import type { Clusters } from './clusters.js';
import { watchEvents, type EventFeed, type EventFeedHandlers, type EventFeedOptions } from './event-feed.js';
import { startEventSequencer, type EventSequencer, type SequencerOptions } from './event-sequencer.js';
import { type Target, targetKey } from './placement.js';

/**
 * The export-event machinery of every database that holds tenants: a tenant's change and its staged
 * event are written in its placement's database (one transaction cannot span clusters), so each such
 * database has its own outbox, sequencer and `events`, and this instance follows all of them. The
 * shared database's are started with the feed; another placement's are added (`ensure`) as soon as
 * this instance learns of it, before it confirms a tenant's move there (placement-follower.ts).
 */
export class EventTargets {
  readonly #clusters: Clusters;
  readonly #shared: Target;
  #feed: { handlers: EventFeedHandlers; open: Map<string, Promise<EventFeed>> } | null = null;
  #sequencing: {
    options: Omit<SequencerOptions, 'uri' | 'dbName'>;
    open: Map<string, Promise<EventSequencer>>;
  } | null = null;

  constructor(clusters: Clusters, shared: Target) {
    this.#clusters = clusters;
    this.#shared = shared;
  }

  /** Follows the `events` of the shared database (from `options`) and of every target ensured. */
  async watchEvents(
    handlers: EventFeedHandlers,
    options: EventFeedOptions,
    targets: readonly Target[],
  ): Promise<EventFeed> {
    const open = new Map<string, Promise<EventFeed>>();
    this.#feed = { handlers, open };
    const shared = this.#openFeed(this.#shared, options);
    open.set(targetKey(this.#shared), shared);
    const first = await shared;
    await Promise.all(targets.map((target) => this.#ensureFeed(target)));
    return {
      get resumeToken() {
        return first.resumeToken;
      },
      close: async () => {
        this.#feed = null;
        await Promise.all([...open.values()].map(async (feed) => (await feed).close()));
      },
    };
  }

  /** Takes part in sequencing the shared database and every target ensured. */
  async startSequencer(
    options: Omit<SequencerOptions, 'uri' | 'dbName'>,
    targets: readonly Target[],
  ): Promise<EventSequencer> {
    const open = new Map<string, Promise<EventSequencer>>();
    this.#sequencing = { options, open };
    const shared = this.#startSequencer(this.#shared, options);
    open.set(targetKey(this.#shared), shared);
    const first = await shared;
    await Promise.all(targets.map((target) => this.#ensureSequencer(target)));
    return {
      get leading() {
        return first.leading;
      },
      stop: async () => {
        this.#sequencing = null;
        await Promise.all([...open.values()].map(async (sequencer) => (await sequencer).stop()));
      },
    };
  }

  /** The targets whose feed or sequencer runs here, as `<cluster>/<database>`. */
  open(): string[] {
    const keys = [...(this.#feed?.open.keys() ?? []), ...(this.#sequencing?.open.keys() ?? [])];
    return [...new Set(keys)].sort();
  }

  /**
   * Stops the sequencer and the feed of every target but the shared one and `needed`: the database a
   * tenant moved away from (its last events there were published before the switch and copied to its
   * new placement), or the target of a move rolled back.
   */
  async release(needed: readonly Target[]): Promise<void> {
    const keep = new Set([this.#shared, ...needed].map(targetKey));
    const feed = this.#feed;
    const closing: Array<Promise<{ close(): Promise<void> } | { stop(): Promise<void> }>> = [];
    for (const [key, open] of feed?.open ?? []) {
      if (keep.has(key)) continue;
      feed?.open.delete(key);
      closing.push(open);
    }
    for (const [key, open] of this.#sequencing?.open ?? []) {
      if (keep.has(key)) continue;
      this.#sequencing?.open.delete(key);
      closing.push(open);
    }
    await Promise.all(
      closing.map(async (opening) => {
        const running = await opening;
        await ('close' in running ? running.close() : running.stop());
      }),
    );
  }

  /**
   * Tells the readers of a tenant whose placement changed to catch up from it: a feed they were served
   * by may have been released before reporting its last events, or opened after some were published.
   */
  catchUp(tenantId: string): void {
    this.#feed?.handlers.onMoved?.(tenantId);
  }

  /** Starts the sequencer and the feed of a target if they run here and not yet for it; resolves once they do. */
  async ensure(target: Target): Promise<void> {
    await Promise.all([this.#ensureSequencer(target), this.#ensureFeed(target)]);
  }

  async #ensureFeed(target: Target): Promise<void> {
    const feed = this.#feed;
    if (feed === null) return;
    const key = targetKey(target);
    if (!feed.open.has(key)) feed.open.set(key, this.#openFeed(target, {}));
    await feed.open.get(key);
  }

  async #ensureSequencer(target: Target): Promise<void> {
    const sequencing = this.#sequencing;
    if (sequencing === null) return;
    const key = targetKey(target);
    if (!sequencing.open.has(key)) sequencing.open.set(key, this.#startSequencer(target, sequencing.options));
    await sequencing.open.get(key);
  }

  #openFeed(target: Target, options: EventFeedOptions): Promise<EventFeed> {
    const handlers = this.#feed?.handlers;
    if (handlers === undefined) throw new Error('the event feed is not open');
    return watchEvents(this.#clusters.stream(target), handlers, options);
  }

  #startSequencer(target: Target, options: Omit<SequencerOptions, 'uri' | 'dbName'>): Promise<EventSequencer> {
    return startEventSequencer({ ...this.#clusters.stream(target), ...options });
  }
}

import type { Logger } from 'pino';
import type { TenantDb } from '../data/tenant-db.js';
import { AppError, ErrorCode, internalError, isAppError } from '../errors.js';
import type { EventDocument } from './event-document.js';
import type { ExportFeed, FeedRegistration } from './feed.js';
import { latestPosition, publishedPosition } from './outbox.js';

export interface ExportStreamOptions<T> {
  /** The subscriber's data layer: every read of the stream is bound to its tenant. */
  db: TenantDb;
  feed: Pick<ExportFeed, 'listen'>;
  /** Deliver every event after this position (a cursor's), then live ones; null: from now on. */
  after: number | null;
  /** Deliver only events of these types; null: every type. */
  types: ReadonlySet<string> | null;
  /** Live events received and not yet consumed, at most (EXPORT_BUFFER_EVENTS). */
  bufferLimit: number;
  /** Events read per query while catching up from the database; default 100. */
  pageSize?: number;
  toPayload(event: EventDocument): T;
  /** Unexpected errors (a failed read) are logged here and reach the client as INTERNAL_SERVER_ERROR. */
  logger: Logger;
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/** The stream of a subscriber that consumed too slowly: it ends, and is resumed from the last cursor. */
export const subscriberTooSlow = (limit: number) =>
  new AppError(
    ErrorCode.RATE_LIMITED,
    `The subscriber fell more than ${limit} events behind and its stream was ended: ` +
      'subscribe again with `after` set to the cursor of the last event received',
  );

/**
 * One subscriber's events, strictly by position, each exactly once: stored ones after its cursor,
 * then live ones, with no gap and no duplicate at the seam.
 *
 * The live listener is registered first, and its events are buffered; then the stream reads the
 * database up to the tenant's latest published position (read after registering, so every later
 * event is in the buffer), then drains the buffer, skipping positions it has already handled.
 * Positions have neither gaps nor duplicates (docs/events.md), so a live event more than one past the
 * last handled one means events were missed (a change stream restarted, an overflow during catch-up):
 * the stream reads them from the database, up to the latest published position, and goes on. `#last` counts the
 * events filtered out by type too, so a filter never looks like a gap.
 *
 * Memory is bounded: at most `pageSize` events read ahead of the consumer, and at most `bufferLimit`
 * live ones. While catching up, everything buffered is also in the database, so an overflow then
 * just empties the buffer and catches up once more; once live, an overflow means the consumer
 * reads more slowly than events arrive, and the stream ends with RATE_LIMITED.
 *
 * A class rather than an async generator: `return()` (the client unsubscribed) must end the stream
 * and release its listener at once, even while a `next()` is waiting for the next event.
 */
export class ExportStream<T> implements AsyncIterableIterator<T> {
  readonly #options: ExportStreamOptions<T>;
  readonly #pageSize: number;
  #registration: FeedRegistration | null = null;
  /** Live events received, in arrival order. */
  #pending: EventDocument[] = [];
  /** Events read from the database, ready for the consumer. */
  #ready: T[] = [];
  /** The highest position handled: delivered, or skipped by the type filter. */
  #last = 0;
  /** Catching up from the database up to `target` (null: the latest position, to be read). */
  #catchUp: { target: number | null } | null = null;
  /** Catch up once more after the current catch-up ends (the buffer was emptied meanwhile). */
  #again = false;
  #failure: AppError | null = null;
  #done = false;
  #wake: (() => void) | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(options: ExportStreamOptions<T>) {
    this.#options = options;
    this.#pageSize = options.pageSize ?? 100;
  }

  /** Registers the stream with the feed and fixes where it starts; resolves once it is live. */
  static async open<T>(options: ExportStreamOptions<T>): Promise<ExportStream<T>> {
    const stream = new ExportStream(options);
    const registration = options.feed.listen(options.db.tenantId, {
      event: (event) => stream.#receive(event),
      gap: () => stream.#startCatchUp(),
    });
    stream.#registration = registration;
    try {
      if (options.after === null) {
        // Everything committed up to here is "before the subscription", published or still staged:
        // read after registering, so any later publication is already flowing into the buffer.
        stream.#last = await latestPosition(options.db);
      } else {
        stream.#last = options.after;
        stream.#catchUp = { target: null };
      }
    } catch (error) {
      stream.#finish();
      throw error;
    }
    registration.ready();
    return stream;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    const result = this.#queue.then(() => this.#produce());
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async return(): Promise<IteratorResult<T>> {
    this.#finish();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.#finish();
    throw error;
  }

  #receive(event: EventDocument): void {
    if (this.#done || event.tenantId !== this.#options.db.tenantId) return;
    // Handled already: a copy of the tenant's events (a move writes them into its new placement) never fills the buffer.
    if (event.position <= this.#last) return;
    if (this.#pending.length >= this.#options.bufferLimit) {
      if (this.#catchUp === null) {
        this.#fail(subscriberTooSlow(this.#options.bufferLimit));
        return;
      }
      this.#pending = [];
      this.#again = true;
    }
    this.#pending.push(event);
    this.#notify();
  }

  #startCatchUp(): void {
    if (this.#done) return;
    if (this.#catchUp === null) this.#catchUp = { target: null };
    else this.#again = true;
    this.#notify();
  }

  async #produce(): Promise<IteratorResult<T>> {
    try {
      for (;;) {
        if (this.#failure) {
          const failure = this.#failure;
          this.#failure = null;
          this.#finish();
          throw failure;
        }
        if (this.#done) return DONE;
        const ready = this.#ready.shift();
        if (ready !== undefined) return { value: ready, done: false };
        if (this.#catchUp) {
          await this.#readPage(this.#catchUp);
          continue;
        }
        const event = this.#pending.shift();
        if (event === undefined) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
          continue;
        }
        if (event.position <= this.#last) continue;
        if (event.position > this.#last + 1) {
          // A missed event: the database has it (and this one), in order.
          this.#startCatchUp();
          continue;
        }
        this.#last = event.position;
        if (this.#wanted(event)) return { value: this.#options.toPayload(event), done: false };
      }
    } catch (error) {
      this.#finish();
      if (isAppError(error)) throw error;
      this.#options.logger.error({ err: error }, 'export event stream failed');
      throw internalError();
    }
  }

  /** One page of stored events after `#last`, up to the catch-up's target, in position order. */
  async #readPage(catchUp: { target: number | null }): Promise<void> {
    const { db, types } = this.#options;
    catchUp.target ??= await publishedPosition(db);
    const page = await db.collection<EventDocument>('events').find(
      {
        position: { $gt: this.#last, $lte: catchUp.target },
        ...(types !== null && { type: { $in: [...types] } }),
      },
      { sort: { position: 1 }, limit: this.#pageSize },
    );
    if (this.#done) return;
    this.#ready.push(...page.map((event) => this.#options.toPayload(event)));
    const last = page.at(-1);
    if (page.length === this.#pageSize && last !== undefined) {
      this.#last = last.position;
      return;
    }
    // Everything up to the target is handled, the events filtered out included.
    this.#last = Math.max(this.#last, catchUp.target);
    this.#catchUp = this.#again ? { target: null } : null;
    this.#again = false;
  }

  #wanted(event: EventDocument): boolean {
    return this.#options.types === null || this.#options.types.has(event.type);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #fail(error: AppError): void {
    this.#failure = error;
    this.#release();
    this.#notify();
  }

  #finish(): void {
    this.#done = true;
    this.#release();
    this.#notify();
  }

  /** Drops the listener and everything held for the consumer. */
  #release(): void {
    this.#registration?.close();
    this.#registration = null;
    this.#pending = [];
    this.#ready = [];
    this.#catchUp = null;
  }
}

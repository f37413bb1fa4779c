import {
  MongoClient,
  type ChangeStream,
  type ChangeStreamOptions,
  type Document,
  type MongoClientOptions,
  type Timestamp,
} from 'mongodb';
import { resumeTokenUnusable } from './resume-token.js';

/** What a change stream watches: a collection of a database, or (without `collection`) the whole database. */
export interface ChangeStreamTarget {
  uri: string;
  dbName: string;
  collection?: string;
  clientOptions?: MongoClientOptions;
}

/**
 * What the stream reports. Handlers run on the stream's loop, one at a time: the next change waits
 * until the promise a handler returns has settled, which is how a slow consumer holds the stream
 * back. A handler that throws (or rejects) is reported to `onError`; the stream goes on.
 */
export interface ChangeStreamHandlers {
  /** A change (including `invalidate`, after which the stream goes on by itself), in oplog order. */
  onChange(change: Document): void | Promise<void>;
  /**
   * The stream was opened again without its resume token (history lost, an unusable token): changes
   * committed in between may never be reported. Runs before any change of the reopened stream.
   */
  onGap(): void | Promise<void>;
  /**
   * The stream failed in a way the driver could not resume, and is reopened after `retryMs`; or a
   * handler failed (`retryMs` 0: the stream goes on at once). Must not throw.
   */
  onError(error: unknown, retryMs: number): void;
}

export interface ChangeStreamStart {
  /** A resume token to start after (an invalidate's too); when it is unusable: from now, with `onGap`. */
  after?: unknown;
  /** A cluster time to start at, when there is no token (the first start of a durable consumer). */
  atOperationTime?: Timestamp;
}

export interface ChangeStreamSettings extends ChangeStreamStart {
  /** `fullDocument` of the stream (default: the driver's). */
  fullDocument?: ChangeStreamOptions['fullDocument'];
  /** First wait before reopening a failed stream, doubled on each failure in a row; default 100 ms. */
  firstRetryMs?: number;
  /** The longest wait between two attempts; default 5000 ms. */
  maxRetryMs?: number;
}

export interface ResumableChangeStream {
  /** Where a restart resumes: after the last change handled, or the stream's latest position. */
  readonly resumeToken: unknown;
  /** Stops the stream and closes its client; no handler runs once it resolves. */
  close(): Promise<void>;
}

/**
 * The one way this application follows a change stream (the events feed, the identity feed and
 * the event sequencer all use it), on a MongoDB client of its own: a change stream keeps a
 * connection in a long-polling getMore, which must neither take a slot of the request pool nor
 * show up in the per-request command counts, and closing the client ends a pending getMore at once.
 *
 * - Resumable errors (a failover, a dropped connection) are resumed by the driver itself.
 * - Any other error closes the stream; it is reopened from the last handled change after a delay
 *   that doubles with each failure in a row (`firstRetryMs` up to `maxRetryMs`), reset once open.
 * - A token the server can no longer use (history lost, invalid) is dropped: the stream reopens
 *   from now and `onGap` runs first, so the consumer can catch up from its own data.
 * - `invalidate` (the watched collection or database dropped or renamed) is reported, then the
 *   stream reopens at once with `startAfter` its token: nothing committed afterwards is missed.
 *
 * Resolves once the server has answered the aggregate, so every change committed after that is
 * reported; rejects (closing the client) if it cannot be opened at all.
 */
export async function openChangeStream(
  target: ChangeStreamTarget,
  pipeline: readonly Document[],
  handlers: ChangeStreamHandlers,
  settings: ChangeStreamSettings = {},
): Promise<ResumableChangeStream> {
  const client = new MongoClient(target.uri, target.clientOptions);
  await client.connect();
  const follower = new Follower(client, target, pipeline, handlers, settings);
  try {
    await follower.start();
  } catch (error) {
    await client.close();
    throw error;
  }
  return follower;
}

/**
 * Changes per batch the server returns. Without it a getMore returns up to 16 MB of changes, all held
 * in memory (as the driver's lazily parsed documents) until the consumer has handled them: a consumer
 * that falls behind a burst of writes (the event sequencer during a 100,000-row import) would hold a
 * batch that grows with the burst.
 */
const BATCH_SIZE = 500;

/** A next() whose failure the loop reads, unless the stream was closed meanwhile: never unhandled. */
function observed(next: Promise<Document>): Promise<Document> {
  next.catch(() => undefined);
  return next;
}

/** The first next() of a stream just opened: it sent the aggregate, and the loop takes it over. */
interface Pending {
  next: Promise<Document>;
}

class Follower implements ResumableChangeStream {
  readonly #client: MongoClient;
  readonly #target: ChangeStreamTarget;
  readonly #pipeline: Document[];
  readonly #handlers: ChangeStreamHandlers;
  readonly #settings: ChangeStreamSettings;
  readonly #firstRetryMs: number;
  readonly #maxRetryMs: number;
  #token: unknown;
  #atOperationTime: Timestamp | undefined;
  #stream: ChangeStream | undefined;
  /** True while a handler runs: the stream's own token may already be past the change handled. */
  #handling = false;
  #closed = false;
  #running: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;

  constructor(
    client: MongoClient,
    target: ChangeStreamTarget,
    pipeline: readonly Document[],
    handlers: ChangeStreamHandlers,
    settings: ChangeStreamSettings,
  ) {
    this.#client = client;
    this.#target = target;
    this.#pipeline = [...pipeline];
    this.#handlers = handlers;
    this.#settings = settings;
    this.#firstRetryMs = settings.firstRetryMs ?? 100;
    this.#maxRetryMs = settings.maxRetryMs ?? 5000;
    this.#token = settings.after;
    this.#atOperationTime = settings.after === undefined ? settings.atOperationTime : undefined;
  }

  get resumeToken(): unknown {
    if (this.#handling) return this.#token;
    return this.#stream?.resumeToken ?? this.#token;
  }

  async start(): Promise<void> {
    let first: Pending;
    try {
      first = await this.#open();
    } catch (error) {
      const hadStart = this.#token !== undefined || this.#atOperationTime !== undefined;
      if (!resumeTokenUnusable(error) || !hadStart) throw error;
      this.#token = undefined;
      this.#atOperationTime = undefined;
      first = await this.#open();
      this.#running = this.#gapThen(first);
      return;
    }
    this.#running = this.#loop(first);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    // The client is the stream's own: closing it ends the stream and any getMore in flight.
    await this.#client.close();
    await this.#running;
  }

  /**
   * Opens the stream from the token, the start time, or now. Resolves with its first next(), once
   * the server has answered the aggregate (the driver then holds the batch's resume token).
   */
  async #open(): Promise<Pending> {
    const options: ChangeStreamOptions = {
      batchSize: BATCH_SIZE,
      ...(this.#settings.fullDocument !== undefined && { fullDocument: this.#settings.fullDocument }),
      ...(this.#token !== undefined
        ? { startAfter: this.#token as never }
        : this.#atOperationTime !== undefined && { startAtOperationTime: this.#atOperationTime }),
    };
    const db = this.#client.db(this.#target.dbName);
    const stream =
      this.#target.collection === undefined
        ? db.watch(this.#pipeline, options)
        : db.collection(this.#target.collection).watch(this.#pipeline, options);
    const answered = new Promise<void>((resolve) => stream.once('resumeTokenChanged', () => resolve()));
    const first = observed(stream.next());
    try {
      await Promise.race([answered, first]);
    } catch (error) {
      await stream.close().catch(() => undefined);
      throw error;
    }
    this.#stream = stream;
    return { next: first };
  }

  async #gapThen(first: Pending): Promise<void> {
    await this.#call(() => this.#handlers.onGap());
    await this.#loop(first);
  }

  async #loop(first: Pending): Promise<void> {
    let next: Promise<Document> | undefined = first.next;
    let retryMs = this.#firstRetryMs;
    while (!this.#closed) {
      const stream = this.#stream;
      try {
        if (stream === undefined || next === undefined) {
          const reopened = await this.#reopen();
          if (reopened === undefined) return;
          next = reopened.next;
          retryMs = this.#firstRetryMs;
          continue;
        }
        const change = await next;
        if (this.#closed) return;
        next = undefined;
        await this.#handle(change, stream);
        if (change.operationType === 'invalidate') {
          // The server closed the stream; startAfter the invalidate's token goes on from there.
          this.#stream = undefined;
          await stream.close().catch(() => undefined);
          continue;
        }
        next = observed(stream.next());
      } catch (error) {
        if (this.#closed) return;
        this.#token = stream?.resumeToken ?? this.#token;
        this.#stream = undefined;
        next = undefined;
        await stream?.close().catch(() => undefined);
        if (resumeTokenUnusable(error)) this.#token = undefined;
        this.#handlers.onError(error, retryMs);
        await this.#pause(retryMs);
        retryMs = Math.min(retryMs * 2, this.#maxRetryMs);
      }
    }
  }

  /** Opens the stream again; undefined when closed meanwhile. Reports the gap when it had no token. */
  async #reopen(): Promise<Pending | undefined> {
    const gap = this.#token === undefined;
    // Without a token, "from now": a start time is for the very first open only.
    this.#atOperationTime = undefined;
    const first = await this.#open();
    if (this.#closed) return undefined;
    if (gap) await this.#call(() => this.#handlers.onGap());
    return first;
  }

  async #handle(change: Document, stream: ChangeStream): Promise<void> {
    this.#handling = true;
    try {
      await this.#call(() => this.#handlers.onChange(change));
    } finally {
      this.#handling = false;
    }
    // After the last change of a batch the driver's token is the batch's end: nothing unhandled before it.
    this.#token = change.operationType === 'invalidate' ? change._id : (stream.resumeToken ?? change._id);
  }

  async #call(fn: () => void | Promise<void>): Promise<void> {
    if (this.#closed) return;
    try {
      await fn();
    } catch (error) {
      this.#handlers.onError(error, 0);
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}

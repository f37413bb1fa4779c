import type { ChangeStream, ChangeStreamDocument, ChangeStreamOptions } from 'mongodb';
import type { Connection, RawDocument } from './connection.js';
import type { LooseTenantDocument } from './documents.js';
import { resumeTokenUnusable } from './resume-token.js';

/**
 * What the feed reports. Every callback runs synchronously on the feed's loop and must not throw;
 * it should hand the work over (to a queue, say) rather than do it.
 */
export interface EventFeedHandlers {
  /** A newly committed document of the `events` collection, any tenant's, in commit (oplog) order. */
  onEvent(event: LooseTenantDocument): void;
  /**
   * The stream had to start again without its resume token (history lost, invalidated, or never
   * opened): events committed in between may never be reported, so readers should catch up from
   * the collection.
   */
  onGap(): void;
  /** The stream failed in a way the driver could not resume; the feed opens it again after `retryMs`. */
  onError(error: unknown, retryMs: number): void;
}

export interface EventFeedOptions {
  /** A resume token to start after (default: everything committed from now on). */
  resumeAfter?: unknown;
  /** Wait before reopening a failed stream; default 1000 ms. */
  retryMs?: number;
}

export interface EventFeed {
  /** The token after the last event reported (or the stream's latest position): where a restart resumes. */
  readonly resumeToken: unknown;
  /** Stops the feed: no callback runs after this is called. */
  close(): Promise<void>;
}

type EventChange = ChangeStreamDocument<RawDocument>;

/** Inserts only: an event is written once and never changed; expiry (TTL deletes) is not news. */
const PIPELINE = [{ $match: { operationType: 'insert' } }];

/**
 * The change stream of the `events` collection, across tenants. This is the one deliberate
 * cross-tenant read of tenant data besides the API-key lookup: one stream per server instance
 * serves the subscribers of every tenant (a stream per subscriber would cost a server cursor each),
 * and the fan-out by `tenantId` in src/events/ hands each subscriber only its own tenant's events.
 *
 * Resumable errors (a failover, a dropped connection) are resumed by the driver itself from the last
 * token. Anything else closes the stream: it is reopened after `retryMs` from the last token, or, if
 * the token is no longer usable, from now with `onGap`. Resolves once the stream is open, so events
 * committed after that are reported; rejects if it cannot be opened at all (no replica set, say).
 */
export async function watchEvents(
  connection: Connection,
  handlers: EventFeedHandlers,
  options: EventFeedOptions = {},
): Promise<EventFeed> {
  const retryMs = options.retryMs ?? 1000;
  const collection = connection.db.collection<RawDocument>('events');
  let token: unknown = options.resumeAfter;
  let stream: ChangeStream<RawDocument, EventChange> | undefined;
  /** The stream's first next(), started by open() to send the aggregate; the loop takes it over. */
  let first: Promise<EventChange> | undefined;
  let closed = false;
  let wakeRetry: (() => void) | undefined;

  const report = (change: EventChange): void => {
    if (!closed && change.operationType === 'insert') handlers.onEvent(change.fullDocument as LooseTenantDocument);
  };

  /**
   * Opens the stream from the token, or from now. Resolves once the server answered the aggregate
   * (the driver then caches the batch's resume token), without waiting for a first event.
   */
  const open = async (): Promise<void> => {
    const resume: ChangeStreamOptions = token === undefined ? {} : { startAfter: token as never };
    const opened = collection.watch<RawDocument, EventChange>(PIPELINE, resume);
    const answered = new Promise<void>((resolve) => opened.once('resumeTokenChanged', () => resolve()));
    const pending = opened.next();
    pending.catch(() => undefined); // observed by the loop, or by the race below
    try {
      await Promise.race([answered, pending]);
    } catch (error) {
      await opened.close().catch(() => undefined);
      throw error;
    }
    stream = opened;
    first = pending;
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeRetry = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** Opens the stream again after a failure; false when the feed was closed meanwhile. */
  const reopen = async (): Promise<boolean> => {
    while (!closed) {
      const hadToken = token !== undefined;
      try {
        await open();
        if (!hadToken) handlers.onGap();
        return true;
      } catch (error) {
        if (closed) return false;
        if (resumeTokenUnusable(error)) token = undefined;
        handlers.onError(error, retryMs);
        await pause(retryMs);
      }
    }
    return false;
  };

  const loop = async (): Promise<void> => {
    while (!closed) {
      const current = stream;
      try {
        if (current === undefined) {
          if (!(await reopen())) return;
          continue;
        }
        const next = first ?? current.next();
        first = undefined;
        const change = await next;
        if (closed) return;
        token = current.resumeToken;
        report(change);
      } catch (error) {
        if (closed) return;
        stream = undefined;
        token = current?.resumeToken ?? token;
        await current?.close().catch(() => undefined);
        if (resumeTokenUnusable(error)) token = undefined;
        handlers.onError(error, retryMs);
        await pause(retryMs);
      }
    }
  };

  await open();
  void loop();
  return {
    get resumeToken() {
      return token;
    },
    async close() {
      closed = true;
      wakeRetry?.();
      // Not awaited: closing waits for the server's answer to a pending getMore (up to its await
      // time). Nothing is reported after `closed`, and closing the client ends the cursor anyway.
      stream?.close().catch(() => undefined);
    },
  };
}

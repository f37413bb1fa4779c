import type { Document } from 'mongodb';
import { openChangeStream, type ChangeStreamSettings, type ChangeStreamTarget } from './change-stream.js';
import type { LooseTenantDocument } from './documents.js';

/**
 * What the feed reports. Every callback runs synchronously on the feed's loop and must not throw;
 * it should hand the work over (to a queue, say) rather than do it.
 */
export interface EventFeedHandlers {
  /** A newly published document of the `events` collection, any tenant's, in the order it was published. */
  onEvent(event: LooseTenantDocument): void;
  /**
   * The stream had to start again without its resume token (history lost): events published in
   * between may never be reported, so readers should catch up from the collection.
   */
  onGap(): void;
  /**
   * The tenant's placement changed (a step of a move): a feed that served it may have been let go
   * before reporting its last events, or opened after some were published, so its readers should
   * catch up from its placement, which holds every one of them.
   */
  onMoved?(tenantId: string): void;
  /** The stream failed in a way the driver could not resume; the feed opens it again after `retryMs`. */
  onError(error: unknown, retryMs: number): void;
}

/** Where to start (default: from now) and how soon to retry (change-stream.ts). */
export type EventFeedOptions = Pick<ChangeStreamSettings, 'after' | 'firstRetryMs' | 'maxRetryMs'>;

export interface EventFeed {
  /** The token after the last event reported (or the stream's latest position): where a restart resumes. */
  readonly resumeToken: unknown;
  /** Stops the feed: no callback runs once it resolves. */
  close(): Promise<void>;
}

/**
 * Inserts only: an event is written once and never changed; expiry (TTL deletes) is not news.
 * `invalidate` passes so that the stream goes on after the collection is dropped (change-stream.ts).
 */
const PIPELINE: Document[] = [{ $match: { operationType: { $in: ['insert', 'invalidate'] } } }];

/**
 * The change stream of the `events` collection, across tenants. This is the one deliberate
 * cross-tenant read of tenant data besides the API-key lookup and the sequencer: one stream per
 * server instance serves the subscribers of every tenant (a stream per subscriber would cost a
 * server cursor each), and the fan-out by `tenantId` in src/events/ hands each subscriber only its
 * own tenant's events. Resuming, back-off and history loss are change-stream.ts's.
 */
export function watchEvents(
  target: Omit<ChangeStreamTarget, 'collection'>,
  handlers: EventFeedHandlers,
  options: EventFeedOptions = {},
): Promise<EventFeed> {
  return openChangeStream(
    { ...target, collection: 'events' },
    PIPELINE,
    {
      onChange: (change) => {
        if (change.operationType === 'insert') handlers.onEvent(change.fullDocument as LooseTenantDocument);
      },
      onGap: () => handlers.onGap(),
      onError: (error, retryMs) => handlers.onError(error, retryMs),
    },
    options,
  );
}

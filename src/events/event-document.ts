import type { ExportEventType } from './event-types.js';

/**
 * An export event as staged in `eventOutbox` (the transactional outbox), written in the transaction
 * of the change it reports, not yet in its tenant's order. The sequencer publishes it (same `_id`)
 * into `events` with its position, and deletes it from the outbox, in one transaction.
 */
export interface StagedEventDocument {
  _id: string;
  tenantId: string;
  type: ExportEventType;
  /** The global GraphQL id of the object that changed. */
  subject: string;
  /** When the change was made (the transaction's clock); drives retention (a TTL index on `events`). */
  time: Date;
  /** The object after the change, as GraphQL shows it (global ids); `{ id }` for a deletion. */
  data: Record<string, unknown>;
}

/** One event of a {@link StagedEventBatchDocument}: a staged event without its tenant (the batch's). */
export type BatchedEvent = Omit<StagedEventDocument, 'tenantId'>;

/**
 * Several export events of one transaction staged as ONE document of `eventOutbox` (an import's batch
 * writes a thousand): one write to stage them and one to unstage them instead of one each. The
 * sequencer publishes its events one by one, in this order, each under its own `_id`, all in the same
 * transaction (or none of them). Counted as `events.length` staged events (src/events/outbox.ts).
 */
export interface StagedEventBatchDocument {
  _id: string;
  tenantId: string;
  /** When the transaction staged them (each event also carries its own `time`). */
  time: Date;
  events: BatchedEvent[];
}

/** What `eventOutbox` holds: single staged events, and batches of them. */
export type OutboxDocument = StagedEventDocument | StagedEventBatchDocument;

/**
 * A published export event in `events`. `position` is the tenant's commit order, 1, 2, 3…, unique
 * per tenant (index `{ tenantId, position }`), without gaps.
 */
export interface EventDocument extends StagedEventDocument {
  position: number;
}

/** The tenant's one counter document in `eventCounters` (its `_id` is the tenant id), written by the sequencer. */
export interface EventCounterDocument {
  _id: string;
  tenantId: string;
  /** The position of the tenant's latest published event (0 or absent: none yet). */
  position: number;
}

import type { TenantDb } from '../data/tenant-db.js';
import type { EventCounterDocument, EventDocument } from './event-document.js';
import type { ExportEventType } from './event-types.js';

export interface NewEvent {
  type: ExportEventType;
  /** The global GraphQL id of the object that changed. */
  subject: string;
  /** The object after the change as GraphQL shows it (global ids), JSON-safe; `{ id }` for a deletion. */
  data: Record<string, unknown>;
}

/** The tenant's counter, whose `_id` is the tenant id (one document per tenant). */
const counters = (db: TenantDb) => db.collection<EventCounterDocument>('eventCounters');

/**
 * Writes the export event of a change, in the transaction `tx` of the change itself (the outbox):
 * both commit, or neither does, also when the process dies between the two writes. Call it last in
 * the transaction, after the change, so the counter is held for as short a time as possible.
 *
 * The position comes from the tenant's counter document, incremented with `$inc` in the same
 * transaction. Two transactions of one tenant both write that document, so the second gets a write
 * conflict (TransientTransactionError) and is retried by the driver from the start, after the first
 * has committed: a tenant's commits are serialised on the counter, so positions follow commit order
 * with neither gaps nor duplicates, which is what lets a subscriber detect a missed event by its
 * position alone. Transactions of different tenants never touch the same counter.
 */
export async function recordEvent(tx: TenantDb, event: NewEvent): Promise<EventDocument> {
  if (!tx.inTransaction) {
    throw new Error('recordEvent must run inside the transaction of the change it reports');
  }
  const counter = await counters(tx).upsertOne({ _id: tx.tenantId }, { $inc: { position: 1 } });
  return tx.collection<EventDocument>('events').insertOne({
    position: counter.position,
    type: event.type,
    subject: event.subject,
    time: new Date(),
    data: event.data,
  });
}

/** The position of the tenant's latest committed event, 0 when it has none. */
export async function latestPosition(db: TenantDb): Promise<number> {
  return (await counters(db).findById(db.tenantId))?.position ?? 0;
}

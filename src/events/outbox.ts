import type { TenantDb } from '../data/tenant-db.js';
import { newId } from '../data/ids.js';
import type { EventCounterDocument, OutboxDocument, StagedEventDocument } from './event-document.js';
import type { ExportEventType } from './event-types.js';

export interface NewEvent {
  type: ExportEventType;
  /** The global GraphQL id of the object that changed. */
  subject: string;
  /** The object after the change as GraphQL shows it (global ids), JSON-safe; `{ id }` for a deletion. */
  data: Record<string, unknown>;
}

/** The tenant's counter, whose `_id` is the tenant id: written by the sequencer only. */
const counters = (db: TenantDb) => db.collection<EventCounterDocument>('eventCounters');
const outbox = (db: TenantDb) => db.collection<OutboxDocument>('eventOutbox');

/**
 * Events staged in one outbox document at most: a batch stays far below MongoDB's 16 MB document limit
 * (an event's data is one object as GraphQL shows it, a few hundred bytes), and one publishing
 * transaction of the sequencer stays a few thousand writes at most.
 */
export const MAX_EVENTS_PER_OUTBOX_DOCUMENT = 1000;

/**
 * Stages the export event of a change in `eventOutbox`, in the transaction `tx` of the change itself:
 * both commit, or neither does, also when the process dies between the two writes.
 *
 * The event gets no position here. Each transaction inserts a document of its own and reads or writes
 * nothing it shares with another writer of the tenant, so concurrent writers of one tenant never
 * conflict. Its position in the tenant's commit order is given after the commit by the event
 * sequencer (src/data/event-sequencer.ts, docs/events.md), which publishes it into `events`.
 */
export async function recordEvent(tx: TenantDb, event: NewEvent): Promise<StagedEventDocument> {
  if (!tx.inTransaction) {
    throw new Error('recordEvent must run inside the transaction of the change it reports');
  }
  const staged = { type: event.type, subject: event.subject, time: new Date(), data: event.data };
  return (await outbox(tx).insertOne(staged)) as StagedEventDocument;
}

/**
 * recordEvent for several changes of one transaction, in their order. Two or more are staged as one
 * batch document per {@link MAX_EVENTS_PER_OUTBOX_DOCUMENT} events (StagedEventBatchDocument), each
 * event with an id of its own: an import's batch of a thousand rows stages its events in one write,
 * and the sequencer unstages them in one.
 */
export async function recordEvents(tx: TenantDb, events: readonly NewEvent[]): Promise<void> {
  if (!tx.inTransaction) {
    throw new Error('recordEvents must run inside the transaction of the changes it reports');
  }
  if (events.length === 1) {
    await recordEvent(tx, events[0]!);
    return;
  }
  const time = new Date();
  const batches: OutboxDocument[] = [];
  for (let start = 0; start < events.length; start += MAX_EVENTS_PER_OUTBOX_DOCUMENT) {
    const batch = events.slice(start, start + MAX_EVENTS_PER_OUTBOX_DOCUMENT);
    batches.push({
      time,
      events: batch.map((event) => ({
        _id: newId(),
        type: event.type,
        subject: event.subject,
        time,
        data: event.data,
      })),
    } as OutboxDocument);
  }
  await outbox(tx).insertMany(batches);
}

/** The position of the tenant's latest published event (in `events`), 0 when it has none. */
export async function publishedPosition(db: TenantDb): Promise<number> {
  return (await counters(db).findById(db.tenantId))?.position ?? 0;
}

/** The counter's value before and after the outbox was counted, and that count. */
interface PositionReads {
  published: number;
  staged: number;
  after: number;
}

/** The number of events an outbox document stages: a batch's events, or one. */
const STAGED_EVENTS = { $cond: [{ $isArray: '$events' }, { $size: '$events' }, 1] };

/**
 * Reads the counter, counts what is staged, and reads the counter again, in this order, in one
 * command (one round trip instead of three): `$facet` yields one document even when the tenant has
 * no counter yet, and each `$lookup` runs only once its input is read, so the reads happen one after
 * the other as three commands would, on MongoDB whatever its read concern. A batch document counts
 * as its events.
 */
async function readPositions(db: TenantDb): Promise<PositionReads> {
  const counter = [{ $match: { _id: db.tenantId } }, { $project: { position: 1 } }];
  const [reads] = await counters(db).aggregate<{
    before: EventCounterDocument[];
    staged: { n: number }[];
    after: EventCounterDocument[];
  }>([
    { $facet: { before: counter } },
    {
      $lookup: {
        from: 'eventOutbox',
        pipeline: [{ $group: { _id: null, n: { $sum: STAGED_EVENTS } } }],
        as: 'staged',
      },
    },
    { $lookup: { from: 'eventCounters', pipeline: counter, as: 'after' } },
  ]);
  return {
    published: reads?.before[0]?.position ?? 0,
    staged: reads?.staged[0]?.n ?? 0,
    after: reads?.after[0]?.position ?? 0,
  };
}

/**
 * The position of the tenant's latest committed event, published or still staged: the sequencer
 * publishes what is staged in commit order, right after the published ones, so the staged events
 * committed by now will take the positions up to this one. Where a subscription without a cursor
 * starts: everything committed before it is skipped, whether or not it was published yet.
 *
 * The counter is read before and after counting what is staged: a publication in between moves
 * events from one to the other and changes the counter, and the reads are taken again. After a few
 * tries (a very busy tenant) the last reads are taken as they are: the counter before them can only
 * count too few, so a new subscriber may receive a few events committed just before it started,
 * never miss one after.
 */
export async function latestPosition(db: TenantDb): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const reads = await readPositions(db);
    if (reads.after === reads.published || attempt === 3) return reads.published + reads.staged;
  }
}

/**
 * The tenant's latest committed position exactly, or null when the sequencer published some of its
 * events while it was being read. Publishing moves events from the outbox to `events` and raises the
 * counter in one transaction, and the counter only grows: when it reads the same before and after
 * the outbox is counted, the count was taken at that counter, and their sum counts every change
 * committed by then. A version of the tenant's data (src/server/plugins/revalidation.ts) must never
 * count too few, unlike `latestPosition`'s fallback.
 */
export async function exactLatestPosition(db: TenantDb): Promise<number | null> {
  const reads = await readPositions(db);
  return reads.after === reads.published ? reads.published + reads.staged : null;
}

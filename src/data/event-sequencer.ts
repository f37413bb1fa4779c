import { randomUUID } from 'node:crypto';
import {
  MongoClient,
  type ClientSession,
  type Collection,
  type Document,
  type MongoClientOptions,
  type Timestamp,
} from 'mongodb';
import { openChangeStream, type ResumableChangeStream } from './change-stream.js';
import type { RawDocument } from './connection.js';
import { TRANSACTION_OPTIONS } from './transactions.js';

/**
 * The event sequencer: it gives every staged export event its position in its tenant's commit order,
 * after the commit, so that no two writers of a tenant ever touch a common document.
 *
 * A change writes its event into `eventOutbox`, in its own transaction (src/events/outbox.ts). The
 * outbox's change stream reports those inserts in oplog order, which is commit order, and only once
 * no earlier commit can still appear (the server's own high-water mark: change streams read the
 * majority-committed oplog without holes). ONE sequencer at a time, elected by a lease in the
 * `eventSequencer` collection, follows that stream and publishes each event into `events` with the
 * tenant's next position, deleting it from the outbox, in one transaction per batch.
 *
 * Every publishing transaction also writes the lease document, matching its owner and epoch: a
 * sequencer that lost its lease (paused past its expiry, say) fails there and steps down, and two
 * sequencers can never both commit over the same snapshot (the second gets a write conflict). The
 * stream's resume token is checkpointed in the same transaction, so a new leader resumes exactly
 * after the last published batch; and an outbox entry is published only if it is still in the
 * outbox, so replaying a change is harmless. Clocks decide only when a lease may be taken over, never
 * whether two sequencers can both publish.
 */

/** The collection of the lease document (one document, `_id` {@link SEQUENCER_ID}); no tenant data. */
export const SEQUENCER_COLLECTION = 'eventSequencer';
const SEQUENCER_ID = 'events';
/**
 * Events published per transaction, short of one outbox document that stages more by itself (a batch
 * document is published whole, in one transaction: up to MAX_EVENTS_PER_OUTBOX_DOCUMENT events).
 */
const BATCH_SIZE = 100;
/** Events read ahead of publishing at most, before the stream is held back. */
const QUEUE_LIMIT = 5000;
/** MongoDB's WriteConflict: a publishing transaction holds the lease document right now. */
const WRITE_CONFLICT = 112;

interface SequencerState {
  _id: string;
  /** The instance holding the lease, null when released. */
  owner: string | null;
  /** Incremented by each acquisition: the fencing token of every publishing transaction. */
  epoch: number;
  expiresAt: Date;
  /** After the last published change of the outbox's stream. */
  resumeToken?: unknown;
  /** Where the stream starts before anything was ever published: before the first staged event. */
  startAt?: Timestamp;
  /** The lsid of the holder's publishing session, for a successor to kill (see #tryLead). */
  session?: unknown;
}

/**
 * A document of the outbox: one staged event (an event without its position), or a batch of a
 * transaction's events in `events` (src/events/event-document.ts, StagedEventBatchDocument).
 */
interface Staged extends RawDocument {
  tenantId: string;
  events?: RawDocument[];
}

/** How many events an outbox document stages. */
const eventCount = (staged: Staged) => staged.events?.length ?? 1;

/**
 * How many of these outbox documents (in order) one publishing transaction takes: as many as hold
 * BATCH_SIZE events together, and at least one (a batch document is published whole, whatever its size).
 */
function documentsPerTransaction(staged: readonly Staged[]): number {
  let events = eventCount(staged[0]!);
  let end = 1;
  while (end < staged.length && events + eventCount(staged[end]!) <= BATCH_SIZE) {
    events += eventCount(staged[end]!);
    end += 1;
  }
  return end;
}

/** The events an outbox document stages, in their order, each with the tenant. */
const eventsOf = (staged: Staged): RawDocument[] =>
  staged.events === undefined ? [staged] : staged.events.map((event) => ({ ...event, tenantId: staged.tenantId }));

interface Queued {
  staged: Staged;
  /** The stream's token of this change: a checkpoint once it is published. */
  token: unknown;
}

export interface SequencerOptions {
  uri: string;
  dbName: string;
  /** Options of the sequencer's own client (its timeouts, database.ts). */
  clientOptions?: MongoClientOptions;
  /** How long a lease lasts without renewal (EVENT_SEQUENCER_LEASE_MS). */
  leaseMs: number;
  /** Failures of the stream or of a publishing transaction (both are retried). */
  onError(error: unknown): void;
  /** The stream lost its history: the outbox is published in staging order, which may not be commit order. */
  onHistoryLost(): void;
}

export interface EventSequencer {
  /** True while this instance holds the lease and publishes. */
  readonly leading: boolean;
  /** Stops taking part; releases the lease if held, so another instance can take over at once. */
  stop(): Promise<void>;
}

class LeaseLost extends Error {
  constructor() {
    super('the event sequencer lease was taken over');
  }
}

/**
 * Records where the outbox's stream must start if nothing was published yet: the cluster time of a
 * write made before this instance stages any event. Every instance runs this before it serves a
 * write, so the first sequencer's stream starts before every staged event. Idempotent.
 */
async function ensureStartPoint(client: MongoClient, state: Collection<SequencerState>): Promise<void> {
  await client.withSession(async (session) => {
    await state.updateOne(
      { _id: SEQUENCER_ID },
      { $setOnInsert: { owner: null, epoch: 0, expiresAt: new Date(0) } },
      { upsert: true, session },
    );
    const time = session.operationTime;
    if (time === undefined) throw new Error('the server reported no operation time');
    await state.updateOne(
      { _id: SEQUENCER_ID, startAt: { $exists: false }, resumeToken: { $exists: false } },
      { $set: { startAt: time } },
      { session },
    );
  });
}

/**
 * Starts this instance's part in sequencing: it records the start point (resolved once done, so
 * writes may follow), then competes for the lease in the background and, while it holds it,
 * publishes. On its own MongoDB client, out of the request pool and the per-request command counts.
 */
export async function startEventSequencer(options: SequencerOptions): Promise<EventSequencer> {
  const client = new MongoClient(options.uri, { ignoreUndefined: true, ...options.clientOptions });
  await client.connect();
  try {
    const sequencer = new Sequencer(client, options);
    await ensureStartPoint(client, sequencer.state);
    sequencer.compete();
    return sequencer;
  } catch (error) {
    await client.close();
    throw error;
  }
}

class Sequencer implements EventSequencer {
  readonly state: Collection<SequencerState>;
  readonly #client: MongoClient;
  readonly #options: SequencerOptions;
  readonly #owner = randomUUID();
  readonly #outbox: Collection<Staged>;
  readonly #events: Collection<RawDocument>;
  readonly #counters: Collection<{ _id: string; tenantId: string; position: number }>;
  #epoch: number | null = null;
  #stream: ResumableChangeStream | null = null;
  /** The session every publishing transaction of this epoch runs in (its lsid is in the lease). */
  #session: ClientSession | null = null;
  #queue: Queued[] = [];
  /** The events the queue holds (a batch document counts as its events). */
  #queuedEvents = 0;
  #publishing: Promise<void> | null = null;
  #drained: Array<() => void> = [];
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(client: MongoClient, options: SequencerOptions) {
    this.#client = client;
    this.#options = options;
    const db = client.db(options.dbName);
    this.state = db.collection<SequencerState>(SEQUENCER_COLLECTION);
    this.#outbox = db.collection<Staged>('eventOutbox');
    this.#events = db.collection<RawDocument>('events');
    this.#counters = db.collection('eventCounters');
  }

  get leading(): boolean {
    return this.#epoch !== null;
  }

  /** Tries for the lease now, then every third of its length; renews it while held. */
  compete(): void {
    const tick = async () => {
      if (this.#stopped) return;
      try {
        if (this.#epoch === null) await this.#tryLead();
        else await this.#renew();
      } catch (error) {
        this.#options.onError(error);
      }
      if (!this.#stopped) this.#timer = setTimeout(tick, Math.max(1, Math.floor(this.#options.leaseMs / 3)));
    };
    void tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const epoch = this.#epoch;
    await this.#stepDown();
    await this.#publishing;
    if (epoch !== null) {
      await this.state
        .updateOne({ _id: SEQUENCER_ID, owner: this.#owner, epoch }, { $set: { owner: null, expiresAt: new Date(0) } })
        .catch(() => undefined);
    }
    await this.#client.close();
  }

  async #tryLead(): Promise<void> {
    const now = new Date();
    const current = await this.state.findOne({ _id: SEQUENCER_ID });
    if (current === null || (current.owner !== this.#owner && current.expiresAt > now)) return;
    // A holder that died inside a publishing transaction left it open, holding its documents until
    // the server's transaction lifetime (60 s) ends it: killing its session ends it now.
    if (current.session !== undefined && current.owner !== this.#owner) {
      await this.#client
        .db('admin')
        .command({ killSessions: [current.session] })
        .catch((error: unknown) => this.#options.onError(error));
    }
    const session = this.#client.startSession();
    let acquired: SequencerState | null;
    try {
      acquired = await this.state.findOneAndUpdate(
        { _id: SEQUENCER_ID, $or: [{ owner: this.#owner }, { expiresAt: { $lte: now } }] },
        {
          $set: {
            owner: this.#owner,
            expiresAt: new Date(now.getTime() + this.#options.leaseMs),
            session: session.id,
          },
          $inc: { epoch: 1 },
        },
        { returnDocument: 'after' },
      );
    } catch (error) {
      await session.endSession();
      if ((error as { code?: unknown }).code === WRITE_CONFLICT) return; // the leader is publishing
      throw error;
    }
    if (acquired === null || this.#stopped) {
      await session.endSession();
      return;
    }
    this.#session = session;
    this.#epoch = acquired.epoch;
    try {
      this.#stream = await openChangeStream(
        { uri: this.#options.uri, dbName: this.#options.dbName, collection: 'eventOutbox' },
        [{ $match: { operationType: { $in: ['insert', 'invalidate'] } } }],
        {
          onChange: (change) => this.#receive(change),
          onGap: () => this.#publishWholeOutbox(),
          onError: (error) => this.#options.onError(error),
        },
        { after: acquired.resumeToken, atOperationTime: acquired.startAt },
      );
    } catch (error) {
      this.#epoch = null;
      throw error;
    }
  }

  /** Extends the lease; when idle, checkpoints the stream's latest position so that it stays in the oplog. */
  async #renew(): Promise<void> {
    const epoch = this.#epoch;
    if (epoch === null) return;
    const idle = this.#queue.length === 0 && this.#publishing === null;
    const token = idle ? this.#stream?.resumeToken : undefined;
    let matched: number;
    try {
      const result = await this.state.updateOne(
        { _id: SEQUENCER_ID, owner: this.#owner, epoch },
        {
          $set: {
            expiresAt: new Date(Date.now() + this.#options.leaseMs),
            ...(token !== undefined && { resumeToken: token }),
          },
        },
      );
      matched = result.matchedCount;
    } catch (error) {
      if ((error as { code?: unknown }).code === WRITE_CONFLICT) return; // publishing renews it too
      throw error;
    }
    if (matched === 0 && this.#epoch === epoch) await this.#stepDown();
  }

  /** Stops publishing: drops what is queued (the next leader reads it again) and closes the stream. */
  async #stepDown(): Promise<void> {
    this.#epoch = null;
    const stream = this.#stream;
    this.#stream = null;
    this.#session = null; // ended with the client, or by a successor's killSessions
    this.#queue = [];
    this.#queuedEvents = 0;
    this.#wakeProducers();
    await stream?.close();
  }

  /** Queues an insert of the outbox; holds the stream back while too much is waiting. */
  async #receive(change: Document): Promise<void> {
    if (change.operationType !== 'insert' || this.#epoch === null) return;
    const staged = change.fullDocument as Staged;
    this.#queue.push({ staged, token: change._id });
    this.#queuedEvents += eventCount(staged);
    this.#schedule();
    if (this.#queuedEvents >= QUEUE_LIMIT) await new Promise<void>((resolve) => this.#drained.push(resolve));
  }

  #schedule(): void {
    if (this.#publishing !== null) return;
    this.#publishing = this.#drain().finally(() => {
      this.#publishing = null;
      if (this.#queue.length > 0 && this.#epoch !== null) this.#schedule();
    });
  }

  /** Publishes the queue batch after batch; a failed batch is retried, a lost lease ends it all. */
  async #drain(): Promise<void> {
    let retryMs = 50;
    while (this.#queue.length > 0 && this.#epoch !== null) {
      const batch = this.#nextBatch();
      try {
        await this.#publish(
          batch.map((queued) => queued.staged),
          batch.at(-1)?.token,
        );
        this.#queue.splice(0, batch.length);
        for (const queued of batch) this.#queuedEvents -= eventCount(queued.staged);
        retryMs = 50;
        if (this.#queuedEvents < QUEUE_LIMIT) this.#wakeProducers();
      } catch (error) {
        if (error instanceof LeaseLost) {
          // Not awaited: closing the stream waits for its handlers, which may wait for this drain.
          void this.#stepDown();
          return;
        }
        this.#options.onError(error);
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        retryMs = Math.min(retryMs * 2, 5000);
      }
    }
  }

  /** The queue's first documents that one publishing transaction takes. */
  #nextBatch(): Queued[] {
    return this.#queue.slice(0, documentsPerTransaction(this.#queue.map((queued) => queued.staged)));
  }

  #wakeProducers(): void {
    for (const wake of this.#drained.splice(0)) wake();
  }

  /**
   * The stream restarted without its token (the oplog no longer holds it): the commit order of
   * what was staged meanwhile is lost. Everything still in the outbox is published, by staging time,
   * before the reopened stream goes on (it then finds those entries gone, and skips them).
   */
  async #publishWholeOutbox(): Promise<void> {
    this.#options.onHistoryLost();
    await this.#publishing;
    let staged: Staged[];
    do {
      if (this.#epoch === null) return;
      staged = await this.#outbox.find({}, { sort: { time: 1, _id: 1 }, limit: BATCH_SIZE }).toArray();
      for (let start = 0; start < staged.length; ) {
        const end = start + documentsPerTransaction(staged.slice(start));
        await this.#publish(staged.slice(start, end), undefined);
        start = end;
      }
    } while (staged.length === BATCH_SIZE);
  }

  /**
   * One publishing transaction: the lease (fence and checkpoint), then each event still staged,
   * at its tenant's next position, into `events`, out of the outbox, and the tenants' counters.
   * A batch document's events are published together, in its order, or (already published) not at all.
   * The counters are the sequencer's alone (and a move's, while the tenant's writes are paused).
   */
  async #publish(batch: readonly Staged[], token: unknown): Promise<void> {
    const epoch = this.#epoch;
    const session = this.#session;
    if (epoch === null || session === null) throw new LeaseLost();
    await session.withTransaction(async () => {
      const lease = await this.state.updateOne(
        { _id: SEQUENCER_ID, owner: this.#owner, epoch },
        {
          $set: {
            expiresAt: new Date(Date.now() + this.#options.leaseMs),
            ...(token !== undefined && { resumeToken: token }),
          },
        },
        { session },
      );
      if (lease.matchedCount === 0) throw new LeaseLost();
      const fresh = await this.#unstage(batch, session);
      if (fresh.length === 0) return;
      const positioned = await this.#position(fresh.flatMap(eventsOf), session);
      await this.#events.insertMany(positioned.events, { session });
      await this.#counters.bulkWrite(
        [...positioned.latest].map(([tenantId, position]) => ({
          updateOne: { filter: { _id: tenantId }, update: { $set: { tenantId, position } }, upsert: true },
        })),
        { session },
      );
    }, TRANSACTION_OPTIONS);
  }

  /**
   * Deletes the batch from the outbox and returns the documents that were still there, in order: the
   * others were published already (by an earlier leader, or before a replay) and their events are in
   * `events` (a batch document's with all of its events: its first one stands for it). Usually all
   * were staged, and the delete alone answers it.
   */
  async #unstage(batch: readonly Staged[], session: ClientSession): Promise<Staged[]> {
    const ids = batch.map((staged) => staged._id);
    const { deletedCount } = await this.#outbox.deleteMany({ _id: { $in: ids } }, { session });
    if (deletedCount === ids.length) return [...batch];
    const firstEventId = (staged: Staged) => (staged.events?.[0] ?? staged)._id;
    const published = await this.#events
      .find({ _id: { $in: batch.map(firstEventId) } }, { projection: { _id: 1 }, session })
      .toArray();
    const done = new Set(published.map((event) => event._id));
    return batch.filter((staged) => !done.has(firstEventId(staged)));
  }

  /**
   * Numbers the events per tenant after each tenant's latest position, in the order given (commit
   * order). The counters are read in the publishing transaction every time, never remembered: a
   * tenant moved away and back (placement-move.ts) brings its counter with it.
   */
  async #position(events: readonly RawDocument[], session: ClientSession) {
    const tenants = [...new Set(events.map((event) => event.tenantId))];
    const stored = await this.#counters.find({ _id: { $in: tenants } }, { session }).toArray();
    const latest = new Map<string, number>(tenants.map((tenantId) => [tenantId, 0]));
    for (const counter of stored) latest.set(counter._id, counter.position);
    const positioned = events.map((event) => {
      const position = (latest.get(event.tenantId) ?? 0) + 1;
      latest.set(event.tenantId, position);
      return { ...event, position };
    });
    return { events: positioned, latest };
  }
}

import { MongoClient, type Collection, type Document } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SEQUENCER_COLLECTION, type EventSequencer } from '../../src/data/event-sequencer.js';
import { newId } from '../../src/data/ids.js';
import type { TenantDb } from '../../src/data/tenant-db.js';
import type { EventDocument } from '../../src/events/event-document.js';
import type { StagedEventBatchDocument } from '../../src/events/event-document.js';
import {
  MAX_EVENTS_PER_OUTBOX_DOCUMENT,
  exactLatestPosition,
  latestPosition,
  recordEvent,
  recordEvents,
} from '../../src/events/outbox.js';
import { until } from '../support/wait.js';
import { startTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The event sequencer (src/data/event-sequencer.ts) on its own: positions in commit order, fencing by
 * the lease, and replays that number nothing twice. The end-to-end failover, with a killed instance,
 * is test/events/failover.test.ts.
 */
let fixture: TestDatabase;
let raw: MongoClient;
let state: Collection<Document>;
const running: EventSequencer[] = [];
const errors: unknown[] = [];

beforeAll(async () => {
  fixture = await startTestDatabase();
  await fixture.database.ensureIndexes();
  raw = await MongoClient.connect(fixture.mongo.uri);
  state = raw.db(fixture.dbName).collection(SEQUENCER_COLLECTION);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((sequencer) => sequencer.stop()));
});
afterAll(async () => {
  await raw?.close();
  await fixture?.stop();
});

async function sequencer(leaseMs = 300): Promise<EventSequencer> {
  const started = await fixture.database.startEventSequencer({
    leaseMs,
    onError: (error) => errors.push(error),
    onHistoryLost: () => errors.push(new Error('history lost')),
  });
  running.push(started);
  return started;
}

/** Stages one event per subject, each in a transaction of its own, one after the other (so in this commit order). */
async function stage(db: TenantDb, subjects: readonly string[]): Promise<void> {
  for (const subject of subjects) {
    await db.withTransaction((tx) => recordEvent(tx, { type: 'park.created', subject, data: {} }));
  }
}

/** Stages the subjects' events in ONE transaction (one batch document of the outbox for two or more). */
async function stageTogether(db: TenantDb, subjects: readonly string[]): Promise<void> {
  await db.withTransaction((tx) =>
    recordEvents(
      tx,
      subjects.map((subject) => ({ type: 'park.created', subject, data: { subject } })),
    ),
  );
}

const events = (db: TenantDb) => db.collection<EventDocument>('events');
const staged = (db: TenantDb) => db.collection('eventOutbox');

async function publishedSubjects(db: TenantDb, count: number): Promise<string[]> {
  await until(
    async () => (await events(db).count({})) >= count && (await staged(db).count({})) === 0,
    `${count} events`,
  );
  const all = await events(db).find({}, { sort: { position: 1 } });
  expect(all.map((event) => event.position)).toEqual(all.map((_, i) => i + 1));
  return all.map((event) => event.subject);
}

describe('the event sequencer', () => {
  it('publishes staged events at consecutive positions per tenant, in commit order, and empties the outbox', async () => {
    const a = fixture.database.forTenant(newId());
    const b = fixture.database.forTenant(newId());
    const leader = await sequencer();
    await until(() => leader.leading, 'the lease');
    await stage(a, ['a1', 'a2']);
    await stage(b, ['b1']);
    await stage(a, ['a3']);
    await Promise.all([stage(b, ['b2', 'b3']), stage(a, ['a4'])]);
    expect(await publishedSubjects(a, 4)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(await publishedSubjects(b, 3)).toEqual(['b1', 'b2', 'b3']);
  });

  it('a sequencer whose lease was taken publishes nothing more; the new holder numbers every event once', async () => {
    const db = fixture.database.forTenant(newId());
    const first = await sequencer(60_000);
    await until(() => first.leading, 'the first lease');
    await stage(db, ['before']);
    await publishedSubjects(db, 1);
    // Another instance takes the lease (as after an expiry): the first one's epoch is stale now.
    await state.updateOne({ _id: 'events' as never }, { $set: { owner: 'someone else' }, $inc: { epoch: 1 } });
    await stage(db, ['after 1', 'after 2']);
    await until(() => !first.leading, 'the first sequencer to step down');
    expect(await staged(db).count({})).toBe(2);
    // The lease expires; a second sequencer takes it over and publishes what the first could not.
    await state.updateOne({ _id: 'events' as never }, { $set: { expiresAt: new Date(0) } });
    const second = await sequencer();
    await until(() => second.leading, 'the second lease');
    expect(await publishedSubjects(db, 3)).toEqual(['before', 'after 1', 'after 2']);
  });

  it('a stream read again from an older point numbers nothing twice', async () => {
    const db = fixture.database.forTenant(newId());
    const first = await sequencer();
    await until(() => first.leading, 'the lease');
    await stage(db, ['x1', 'x2']);
    await publishedSubjects(db, 2);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    // As if the checkpoint had been lost: the next holder reads the outbox's stream from its start.
    await state.updateOne({ _id: 'events' as never }, { $unset: { resumeToken: '' } });
    const second = await sequencer();
    await until(() => second.leading, 'the lease');
    await stage(db, ['x3']);
    expect(await publishedSubjects(db, 3)).toEqual(['x1', 'x2', 'x3']);
  });

  it('publishes a batch document as its events, in its order, under the ids they were staged with, counted as its events while staged', async () => {
    const db = fixture.database.forTenant(newId());
    await stage(db, ['s1']);
    await stageTogether(db, ['b1', 'b2', 'b3']);
    await stage(db, ['s2']);
    // No sequencer runs yet: everything is staged, in three outbox documents.
    const outbox = await staged(db).find({}, { sort: { _id: 1 } });
    expect(outbox).toHaveLength(3);
    const batch = outbox.find((document) => Array.isArray(document.events)) as unknown as StagedEventBatchDocument;
    expect(batch.events.map((event) => event.subject)).toEqual(['b1', 'b2', 'b3']);
    // A subscription's start and the data version count the batch as its three events.
    expect(await exactLatestPosition(db)).toBe(5);
    expect(await latestPosition(db)).toBe(5);

    const leader = await sequencer();
    await until(() => leader.leading, 'the lease');
    expect(await publishedSubjects(db, 5)).toEqual(['s1', 'b1', 'b2', 'b3', 's2']);
    const published = await events(db).find({ subject: { $in: ['b1', 'b2', 'b3'] } }, { sort: { position: 1 } });
    expect(published.map((event) => event._id)).toEqual(batch.events.map((event) => event._id));
    expect(published.map((event) => event.data)).toEqual([{ subject: 'b1' }, { subject: 'b2' }, { subject: 'b3' }]);
    expect(await exactLatestPosition(db)).toBe(5);
  });

  it('splits a transaction of more events than one outbox document holds, and publishes them all once, in order', async () => {
    const db = fixture.database.forTenant(newId());
    const subjects = Array.from({ length: MAX_EVENTS_PER_OUTBOX_DOCUMENT + 5 }, (_, i) => `many ${i}`);
    await stageTogether(db, subjects);
    expect(await staged(db).count({})).toBe(2);
    expect(await exactLatestPosition(db)).toBe(subjects.length);
    const leader = await sequencer();
    await until(() => leader.leading, 'the lease');
    expect(await publishedSubjects(db, subjects.length)).toEqual(subjects);
  });

  it('a batch document read again from an older point, or after a takeover, is published once', async () => {
    const db = fixture.database.forTenant(newId());
    const first = await sequencer(60_000);
    await until(() => first.leading, 'the first lease');
    await stageTogether(db, ['r1', 'r2']);
    await publishedSubjects(db, 2);
    // Another instance takes the lease: the first can publish nothing more.
    await state.updateOne({ _id: 'events' as never }, { $set: { owner: 'someone else' }, $inc: { epoch: 1 } });
    await stageTogether(db, ['r3', 'r4']);
    await until(() => !first.leading, 'the first sequencer to step down');
    expect(await exactLatestPosition(db)).toBe(4);
    // The next holder reads the outbox's stream from its start (the checkpoint lost): r1 and r2 come
    // again and are skipped; r3 and r4 are published once.
    await state.updateOne(
      { _id: 'events' as never },
      { $set: { expiresAt: new Date(0) }, $unset: { resumeToken: '' } },
    );
    const second = await sequencer();
    await until(() => second.leading, 'the second lease');
    await stage(db, ['r5']);
    expect(await publishedSubjects(db, 5)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
  });
});

import { MongoClient, type Collection, type Document } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SEQUENCER_COLLECTION, type EventSequencer } from '../../src/data/event-sequencer.js';
import { newId } from '../../src/data/ids.js';
import type { TenantDb } from '../../src/data/tenant-db.js';
import type { EventDocument } from '../../src/events/event-document.js';
import { recordEvent } from '../../src/events/outbox.js';
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
});

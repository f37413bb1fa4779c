import { MongoClient, type Collection, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEQUENCER_COLLECTION } from '../../src/data/event-sequencer.js';
import type { EventDocument, StagedEventBatchDocument } from '../../src/events/event-document.js';
import { seedId } from '../../src/seed/seed.js';
import { hashOf, persistedGet } from '../bi/support.js';
import { createPark, published, subscribeEvents } from '../events/support.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';
import { callerOf, createImport, finished, upload, type Caller } from './support.js';

/**
 * An import batch stages its events as one outbox document (docs/events.md). While no sequencer
 * publishes them, they must count as the tenant's committed events exactly as single ones do: in the
 * data version of conditional GETs and where a new subscription starts; once published, they are
 * the tenant's next positions and the version is the same.
 */
const ALICE = 'alice@example.com';
const TEXAS = seedId('tenant:texas');
let server: TestServer;
let alice: Caller;
let raw: MongoClient;
let lease: Collection<Document>;

beforeAll(async () => {
  server = await startTestServer({ EVENT_SEQUENCER_LEASE_MS: '600' });
  alice = await callerOf(server, ALICE);
  const { mongodbUri, mongodbDb } = server.app.services.config;
  raw = await MongoClient.connect(mongodbUri!);
  lease = raw.db(mongodbDb).collection(SEQUENCER_COLLECTION);
});
afterAll(async () => {
  await raw?.close();
  await server?.stop();
});

/** Another holder takes the sequencer's lease for a long time: this instance publishes nothing more. */
async function holdSequencer(): Promise<void> {
  await lease.updateOne(
    { _id: 'events' as never },
    { $set: { owner: 'a test', expiresAt: new Date(Date.now() + 3_600_000) }, $inc: { epoch: 1 } },
  );
  await until(() => !server.app.services.exportFeed.sequencing, 'the instance to stop sequencing');
}

async function releaseSequencer(): Promise<void> {
  await lease.updateOne({ _id: 'events' as never }, { $set: { owner: null, expiresAt: new Date(0) } });
}

const parksWithCapacity = (headers: Record<string, string> = {}) =>
  persistedGet(server, hashOf('ParksWithCapacity'), { auth: alice.auth, headers });

describe('an import’s events while they are staged as a batch', () => {
  it('move the data version at once, are skipped by a new subscription, and keep the version once published', async () => {
    await published(server, TEXAS);
    const first = await parksWithCapacity();
    expect(first.status).toBe(200);
    const before = first.headers.get('etag')!;

    await holdSequencer();
    let subscription: Awaited<ReturnType<typeof subscribeEvents>> | undefined;
    try {
      const created = await createImport(server, alice, { entity: 'PARK', format: 'NDJSON' });
      const rows = ['Staged One', 'Staged Two', 'Staged Three'].map((name) =>
        JSON.stringify({ name, region: 'Batch', capacity: 40 }),
      );
      expect((await upload(created.uploadUrl, `${rows.join('\n')}\n`)).status).toBe(201);
      expect((await finished(server, alice, created.job.id)).rowsWritten).toBe(3);
      const outbox = server.app.services.database.forTenant(TEXAS).collection<StagedEventBatchDocument>('eventOutbox');
      const staged = await outbox.find({});
      expect(staged).toHaveLength(1);
      expect(staged[0]!.events).toHaveLength(3);

      // The committed import moved the version though nothing is published: the old tag runs again.
      const changed = await parksWithCapacity({ 'if-none-match': before });
      expect(changed.status).toBe(200);
      expect(changed.text).toContain('Staged Three');
      const during = changed.headers.get('etag')!;
      expect(during).not.toBe(before);
      expect((await parksWithCapacity({ 'if-none-match': during })).status).toBe(304);

      // A subscription started now begins after the three staged events.
      subscription = await subscribeEvents(server, { bearer: alice.auth });

      await releaseSequencer();
      await published(server, TEXAS);
      const events = await server.app.services.database
        .forTenant(TEXAS)
        .collection<EventDocument>('events')
        .find({ 'data.region': 'Batch' }, { sort: { position: 1 } });
      expect(events.map((stored) => stored.data.name)).toEqual(['Staged One', 'Staged Two', 'Staged Three']);
      expect(events.map((stored) => stored._id)).toEqual(staged[0]!.events.map((batched) => batched._id));
      // Published, they count as they did staged: the version is the same, the copy still valid.
      expect((await parksWithCapacity({ 'if-none-match': during })).status).toBe(304);

      // The subscriber's first event is the change after the batch, not one of the batch's.
      const next = await createPark(server, ALICE, 'After the batch');
      const [event] = await subscription.waitFor(1);
      expect(event!.subject).toBe(next);
      expect(subscription.events.map((received) => received.subject)).toEqual([next]);
    } finally {
      await subscription?.stop();
      await releaseSequencer();
    }
  });
});

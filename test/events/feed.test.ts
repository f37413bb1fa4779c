import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LooseTenantDocument } from '../../src/data/documents.js';
import type { EventFeed } from '../../src/data/event-feed.js';
import { newId } from '../../src/data/ids.js';
import type { TenantDb } from '../../src/data/tenant-db.js';
import type { EventDocument } from '../../src/events/event-document.js';
import { startTestDatabase, type TestDatabase } from '../support/database.js';
import { until } from '../support/wait.js';

/** database.watchEvents: the one change stream of published events per instance, and how it survives its stream ending. */
let env: TestDatabase;
let fixture: { database: TestDatabase['database']; tenantA: TenantDb; tenantB: TenantDb };

beforeAll(async () => {
  env = await startTestDatabase();
  await env.database.ensureIndexes();
  fixture = {
    database: env.database,
    tenantA: env.database.forTenant(newId()),
    tenantB: env.database.forTenant(newId()),
  };
});
afterAll(async () => {
  await env?.stop();
});

let position = 0;
/** Publishes an event as the sequencer does (no sequencer runs here: this is the feed's own test). */
const commit = (db = fixture.tenantA) =>
  db
    .collection<EventDocument>('events')
    .insertOne({ position: ++position, type: 'park.created', subject: 's', time: new Date(), data: {} });

function recorder() {
  const events: LooseTenantDocument[] = [];
  const errors: unknown[] = [];
  let gaps = 0;
  return {
    events,
    errors,
    gaps: () => gaps,
    handlers: {
      onEvent: (event: LooseTenantDocument) => void events.push(event),
      onGap: () => {
        gaps += 1;
      },
      onError: (error: unknown) => void errors.push(error),
    },
  };
}

describe('watchEvents', () => {
  it('reports the committed events of every tenant, in commit order, from when it opened', async () => {
    await commit(); // before: not reported
    const seen = recorder();
    const feed = await fixture.database.watchEvents(seen.handlers);
    try {
      const a = await commit(fixture.tenantA);
      const b = await commit(fixture.tenantB);
      const c = await commit(fixture.tenantA);
      await until(() => seen.events.length >= 3, 'three events');
      expect(seen.events.map((event) => [event.tenantId, event.position])).toEqual([
        [a.tenantId, a.position],
        [b.tenantId, b.position],
        [c.tenantId, c.position],
      ]);
      expect(seen.events[0]).toEqual(a);
    } finally {
      await feed.close();
    }
  });

  it('a stream that ends (its collection dropped: invalidated) goes on after the invalidation, losing nothing', async () => {
    const seen = recorder();
    let feed: EventFeed | undefined;
    // Around the data layer on purpose: dropping the collection is what ends a change stream for good.
    const client = await MongoClient.connect(env.mongo.uri);
    try {
      feed = await fixture.database.watchEvents(seen.handlers, { firstRetryMs: 50 });
      await commit();
      await until(() => seen.events.length === 1, 'the first event');
      await client.db(env.dbName).collection('events').drop();
      // Committed at once, whether or not the stream has been reopened yet: startAfter the
      // invalidation's token reports it either way.
      const after = await commit();
      await until(() => seen.events.length === 2, 'the event after the invalidation');
      expect(seen.events[1]).toEqual(after);
      expect(seen.gaps()).toBe(0);
      expect(seen.errors).toEqual([]);
    } finally {
      await feed?.close();
      await client.close();
      await fixture.database.ensureIndexes();
    }
  });

  it('close() stops it: nothing is reported afterwards', async () => {
    const seen = recorder();
    const control = recorder();
    const feed = await fixture.database.watchEvents(seen.handlers);
    const running = await fixture.database.watchEvents(control.handlers);
    try {
      await feed.close();
      await commit();
      // The feed still open reports it: the closed one had every chance to.
      await until(() => control.events.length === 1, 'the open feed to report the event');
      expect(seen.events).toEqual([]);
    } finally {
      await running.close();
    }
  });
});

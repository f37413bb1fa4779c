import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TenantDb } from '../../src/data/tenant-db.js';
import type { EventDocument } from '../../src/events/event-document.js';
import { ExportStream, type ExportStreamOptions } from '../../src/events/export-stream.js';
import { ExportFeed, type FeedListener } from '../../src/events/feed.js';
import { recordEvent } from '../../src/events/outbox.js';
import { openTenantFixture, type TenantFixture } from '../modules/tenant-fixture.js';
import { until } from '../support/wait.js';

/*
 * The subscription stream at the iterator level, where the interleavings that a socket makes
 * unlikely can be forced: commits at the seam between replay and live, a missed live event, a
 * consumer that does not read.
 */
const logger = pino({ level: 'silent' });
let fixture: TenantFixture;
let feed: ExportFeed;
/** Every event the real feed delivered for tenantA, to know when it reached the streams. */
const seen: EventDocument[] = [];
const open: Array<ExportStream<EventDocument>> = [];

beforeAll(async () => {
  fixture = await openTenantFixture();
  feed = new ExportFeed(fixture.database, logger);
  await feed.start();
  feed.listen(fixture.tenantA.tenantId, { event: (event) => seen.push(event), gap: () => {} });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((stream) => stream.return()));
});
afterAll(async () => {
  await feed?.stop();
  await fixture?.close();
});

/** Commits `count` events in tenantA, one transaction each, concurrently; resolves once the feed saw them. */
async function commit(count: number, db: TenantDb = fixture.tenantA): Promise<void> {
  const expected = seen.length + count;
  await Promise.all(
    Array.from({ length: count }, () =>
      db.withTransaction((tx) => recordEvent(tx, { type: 'park.created', subject: 'p', data: {} })),
    ),
  );
  await until(() => seen.length >= expected, `${count} events through the feed`);
}

async function latest(): Promise<number> {
  return (
    (await fixture.tenantA.collection<EventDocument>('events').find({}, { sort: { position: -1 }, limit: 1 }))[0]
      ?.position ?? 0
  );
}

async function openStream(options: Partial<ExportStreamOptions<EventDocument>> = {}) {
  const stream = await ExportStream.open<EventDocument>({
    db: fixture.tenantA,
    feed,
    after: null,
    types: null,
    bufferLimit: 1000,
    toPayload: (event) => event,
    logger,
    ...options,
  });
  open.push(stream);
  return stream;
}

async function take(stream: ExportStream<EventDocument>, count: number): Promise<number[]> {
  const positions: number[] = [];
  for (let i = 0; i < count; i++) {
    const result = await stream.next();
    if (result.done) throw new Error(`stream ended after ${positions.length} events`);
    positions.push(result.value.position);
  }
  return positions;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** tenantA's data layer, with hooks before the latest-position read and before each page of events. */
function hooked(hooks: { beforeLatest?: () => Promise<void>; beforePage?: () => Promise<void> }): TenantDb {
  const db = fixture.tenantA;
  const wrap = <T extends object>(target: T, method: string, hook: (() => Promise<void>) | undefined): T =>
    new Proxy(target, {
      get(object, property) {
        const value = Reflect.get(object, property, object) as unknown;
        if (typeof value !== 'function') return value;
        const bound = (value as (...args: unknown[]) => unknown).bind(object);
        return property === method && hook
          ? async (...args: unknown[]) => {
              await hook();
              return bound(...args);
            }
          : bound;
      },
    });
  return {
    tenantId: db.tenantId,
    inTransaction: false,
    sessionId: null,
    endSession: (sessionId) => db.endSession(sessionId),
    collection: ((name: Parameters<TenantDb['collection']>[0]) => {
      const collection = db.collection(name);
      if (name === 'eventCounters') return wrap(collection, 'findById', hooks.beforeLatest);
      if (name === 'events') return wrap(collection, 'find', hooks.beforePage);
      return collection;
    }) as TenantDb['collection'],
    withTransaction: (fn) => db.withTransaction(fn),
    withSharedTransaction: (fn) => db.withSharedTransaction(fn),
  };
}

const once = (fn: () => Promise<void>) => {
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    await fn();
  };
};

describe('the seam between replay and live', () => {
  it('events committed before the latest position is read and during the replay arrive exactly once, in order', async () => {
    await commit(5);
    const from = (await latest()) - 3; // three stored events to replay
    const stream = await openStream({
      after: from,
      pageSize: 2,
      db: hooked({
        // Registered but not yet reading: these are both in the buffer and in the replay.
        beforeLatest: once(() => commit(4)),
        // Replaying: these are after the replay's target, in the buffer only.
        beforePage: once(() => commit(4)),
      }),
    });
    const end = from + 3 + 4 + 4;
    expect(await take(stream, end - from)).toEqual(range(from + 1, end));
    await commit(1);
    expect(await take(stream, 1)).toEqual([end + 1]);
  });

  it('the type filter applies to the replay and to live events, and never looks like a gap', async () => {
    const db = fixture.tenantA;
    const from = await latest();
    const types = ['park.created', 'park.deleted', 'park.created', 'park.updated', 'park.deleted'] as const;
    for (const type of types) await db.withTransaction((tx) => recordEvent(tx, { type, subject: 's', data: {} }));
    const stream = await openStream({ after: from, types: new Set(['park.deleted']), pageSize: 1 });
    expect(await take(stream, 2)).toEqual([from + 2, from + 5]);
    await db.withTransaction((tx) => recordEvent(tx, { type: 'park.updated', subject: 's', data: {} }));
    await db.withTransaction((tx) => recordEvent(tx, { type: 'park.deleted', subject: 's', data: {} }));
    expect(await take(stream, 1)).toEqual([from + 7]);
  });
});

/** A feed the test drives by hand: nothing flows unless pushed. */
function manualFeed() {
  const listeners: FeedListener[] = [];
  let closed = 0;
  return {
    feed: {
      listen: (_tenantId: string, listener: FeedListener) => {
        listeners.push(listener);
        return {
          ready: () => {},
          close: () => {
            closed += 1;
          },
        };
      },
    },
    push: (event: EventDocument) => {
      for (const listener of listeners) listener.event(event);
    },
    gap: () => {
      for (const listener of listeners) listener.gap();
    },
    closed: () => closed,
  };
}

async function stored(position: number): Promise<EventDocument> {
  const [event] = await fixture.tenantA.collection<EventDocument>('events').find({ position });
  if (!event) throw new Error(`no event ${position}`);
  return event;
}

describe('missed live events', () => {
  it('a live event more than one past the last is a gap, filled from the database', async () => {
    const manual = manualFeed();
    const stream = await openStream({ feed: manual.feed });
    const start = await latest();
    await commit(3);
    manual.push(await stored(start + 3)); // start+1 and start+2 were "missed"
    expect(await take(stream, 3)).toEqual([start + 1, start + 2, start + 3]);
    manual.push(await stored(start + 2)); // a late duplicate is skipped
    await commit(1);
    manual.push(await stored(start + 4));
    expect(await take(stream, 1)).toEqual([start + 4]);
  });

  it('a restarted change stream (gap signal) makes the stream catch up without any live event', async () => {
    const manual = manualFeed();
    const stream = await openStream({ feed: manual.feed });
    const start = await latest();
    await commit(2);
    const next = take(stream, 2);
    manual.gap();
    expect(await next).toEqual([start + 1, start + 2]);
  });

  it('a gap signalled during a replay makes it catch up once more after its target', async () => {
    const manual = manualFeed();
    const from = await latest();
    await commit(2);
    // The replay has fixed its target; then two events commit that no live event will ever announce.
    const db = hooked({
      beforePage: once(async () => {
        await commit(2);
        manual.gap();
      }),
    });
    const stream = await openStream({ db, feed: manual.feed, after: from });
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('stuck')), 3000));
    expect(await Promise.race([take(stream, 4), timeout])).toEqual(range(from + 1, from + 4));
  });
});

describe('backpressure: a bounded buffer per subscriber', () => {
  const live = async (manual: ReturnType<typeof manualFeed>, count: number) => {
    const start = await latest();
    await commit(count);
    for (let position = start + 1; position <= start + count; position++) manual.push(await stored(position));
    return start;
  };

  it('a consumer that does not read gets RATE_LIMITED once more than the buffer is waiting, and is released', async () => {
    const manual = manualFeed();
    const stream = await openStream({ feed: manual.feed, bufferLimit: 3 });
    await live(manual, 4);
    expect(manual.closed()).toBe(1); // the listener is dropped at once, with what it held
    await expect(stream.next()).rejects.toMatchObject({
      extensions: { code: 'RATE_LIMITED' },
      message: expect.stringMatching(
        /more than 3 events behind.*subscribe again with `after` set to the cursor of the last event/,
      ),
    });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('a consumer that keeps up is never cut off: exactly the buffer is fine, and reading frees it', async () => {
    const manual = manualFeed();
    const stream = await openStream({ feed: manual.feed, bufferLimit: 3 });
    const first = await live(manual, 3);
    expect(await take(stream, 3)).toEqual(range(first + 1, first + 3));
    const second = await live(manual, 3);
    expect(await take(stream, 3)).toEqual(range(second + 1, second + 3));
    expect(manual.closed()).toBe(0);
  });

  it('during a replay, an overflowing buffer is dropped and read from the database instead: no error, no loss', async () => {
    const from = await latest();
    await commit(3);
    const manual = manualFeed();
    // Five live events arrive after the replay fixed its target, and overflow a buffer of two.
    const db = hooked({ beforePage: once(async () => void (await live(manual, 5))) });
    const stream = await openStream({ db, feed: manual.feed, after: from, bufferLimit: 2, pageSize: 2 });
    expect(await take(stream, 8)).toEqual(range(from + 1, from + 8));
    expect(manual.closed()).toBe(0);
    await live(manual, 1);
    expect(await take(stream, 1)).toEqual([from + 9]);
  });

  it('the real feed: a subscriber that reads nothing overflows, the others are unaffected', async () => {
    const slow = await openStream({ bufferLimit: 2 });
    const fast = await openStream({ bufferLimit: 2 });
    const start = await latest();
    const reading = take(fast, 3);
    await commit(3);
    expect(await reading).toEqual(range(start + 1, start + 3));
    await expect(slow.next()).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
  });
});

describe('ending', () => {
  it('return() ends a stream that is waiting for events, and releases its listener', async () => {
    const manual = manualFeed();
    const stream = await openStream({ feed: manual.feed });
    const waiting = stream.next();
    await stream.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(manual.closed()).toBe(1);
  });

  it('a failed read reaches the consumer as INTERNAL_SERVER_ERROR, without its message', async () => {
    const failing = hooked({
      beforePage: async () => {
        throw new Error('connect ECONNREFUSED mongodb://db.internal');
      },
    });
    const stream = await openStream({ db: failing, after: 1 });
    const error: unknown = await stream.next().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ extensions: { code: 'INTERNAL_SERVER_ERROR' }, message: 'Internal server error' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDocument } from '../../src/events/event-document.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectNoLeak } from '../support/leaks.js';
import {
  createPark,
  positionOf,
  subscribeEvents,
  tenantIdOf,
  type EventSubscription,
  type ExportEvent,
} from './support.js';

/** Replay from a cursor, then live (CONTRACT.md section 6), and the cursors that are refused. */
let server: TestServer;
const subscriptions: EventSubscription[] = [];

beforeAll(async () => {
  server = await startTestServer({ EVENT_RETENTION_DAYS: '7' });
});
afterAll(async () => {
  await Promise.all(subscriptions.map((subscription) => subscription.stop()));
  await server?.stop();
});

async function subscribe(
  variables: { types?: string[] | null; after?: string | null } = {},
  options: { email?: string; tenant?: string; active?: boolean } = {},
) {
  const subscription = await subscribeEvents(
    server,
    {
      bearer: await server.token(options.email ?? 'frank@example.com'),
      ...(options.tenant ? { tenant: options.tenant } : {}),
    },
    variables,
    { active: options.active ?? true },
  );
  subscriptions.push(subscription);
  return subscription;
}

const texasEvents = () =>
  server.app.services.database.forTenant(tenantIdOf('texas')).collection<EventDocument>('events');

/** Creates parks `count` at a time, `total` in all; returns their ids. */
async function createParks(prefix: string, total: number, concurrency = 10): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < total; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, total - start) }, (_, i) => `${prefix} ${start + i}`);
    ids.push(...(await Promise.all(batch.map((name) => createPark(server, 'alice@example.com', name)))));
  }
  return ids;
}

/** A cursor of the latest texas event, as a live subscriber receives it. */
async function latestCursor(): Promise<string> {
  const live = await subscribe();
  await createPark(server, 'alice@example.com', 'Cursor mark');
  const [event] = await live.waitFor(1);
  await live.stop();
  return event!.cursor;
}

function expectConsecutive(events: ExportEvent[], from: number) {
  const positions = events.map((event) => positionOf(event.cursor));
  expect(positions).toEqual(positions.map((_, index) => from + index));
  expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
}

describe('replay from a cursor, then live', () => {
  it('delivers every event after the cursor exactly once and in order, also those committed during the replay', async () => {
    const mark = await latestCursor();
    const backlog = await createParks('Backlog', 130, 13); // more than one page of the replay (100)

    // The replay starts while 40 more mutations commit concurrently: some before the stream registers,
    // some during the replay, some after it went live.
    const subscribing = subscribe({ after: mark }, { active: false });
    const during = createParks('During', 40, 20);
    const replay = await subscribing;
    const concurrent = await during;
    const after = await createParks('After', 5);

    const events = await replay.waitFor(130 + 40 + 5, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(replay.events).toHaveLength(175);
    expectConsecutive(events, positionOf(mark) + 1);
    // Within a batch of concurrent mutations the commit order is the database's to choose.
    const subjects = (from: number, to: number) => new Set(events.slice(from, to).map((event) => event.subject));
    expect(subjects(0, 130)).toEqual(new Set(backlog));
    expect(subjects(130, 170)).toEqual(new Set(concurrent));
    expect(subjects(170, 175)).toEqual(new Set(after));
    expect(replay.errors).toEqual([]);
  });

  it('a late consumer resumes from any cursor it kept, with the type filter applied to the replay', async () => {
    const mark = await latestCursor();
    const parks = await createParks('Resume', 12, 1);
    const first = await subscribe({ after: mark });
    const events = await first.waitFor(12);
    expect(events.map((event) => event.subject)).toEqual(parks);

    const resumed = await subscribe({ after: events[4]!.cursor });
    const rest = await resumed.waitFor(7);
    expect(rest.map((event) => event.cursor)).toEqual(events.slice(5).map((event) => event.cursor));

    const none = await subscribe({ after: mark, types: ['park.deleted'] });
    const live = await createPark(server, 'alice@example.com', 'Resume live');
    const deleted = await server.as('alice@example.com', `mutation { deletePark(id: "${live}") }`);
    expect(deleted.errors).toBeUndefined();
    const [onlyDeleted] = await none.waitFor(1);
    expect(onlyDeleted).toMatchObject({ type: 'park.deleted', subject: live });
    expect(positionOf(onlyDeleted!.cursor)).toBe(positionOf(events.at(-1)!.cursor) + 2);
  });

  it('with a cursor of the latest event, only live events follow', async () => {
    const mark = await latestCursor();
    const live = await subscribe({ after: mark });
    const park = await createPark(server, 'alice@example.com', 'Right after');
    const [event] = await live.waitFor(1);
    expect(event!.subject).toBe(park);
    expect(positionOf(event!.cursor)).toBe(positionOf(mark) + 1);
  });
});

describe('cursors that are refused with BAD_USER_INPUT', () => {
  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  async function refusal(after: string, email = 'frank@example.com', tenant?: string) {
    const refused = await subscribe({ after }, { email, active: false, ...(tenant ? { tenant } : {}) });
    await refused.ended;
    expect(refused.events).toEqual([]);
    expect(refused.errors.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expectNoLeak(refused.errors);
    return refused.errors[0]!.message;
  }

  it.each([
    ['garbage', 'not a cursor'],
    ['empty', ''],
    ['base64url of garbage', Buffer.from('{"t":').toString('base64url')],
    ['a global id', Buffer.from('Park:0123456789abcdef01234567').toString('base64url')],
    ['a position that is not a positive integer', cursor({ t: tenantIdOf('texas'), p: 0 })],
    ['a fractional position', cursor({ t: tenantIdOf('texas'), p: 1.5 })],
    ['an extra field', cursor({ t: tenantIdOf('texas'), p: 1, x: 1 })],
    ['a non-canonical spelling', `${cursor({ t: tenantIdOf('texas'), p: 1 })}=`],
    ['a position never issued', cursor({ t: tenantIdOf('texas'), p: 1_000_000 })],
  ])('%s', async (_name, after) => {
    expect(await refusal(after)).toBe('after is not the cursor of an event of this tenant');
  });

  it('a cursor of another tenant, real or forged, is refused like garbage and reveals nothing', async () => {
    const colorado = await subscribe({}, { email: 'carol@example.com', tenant: 'colorado' });
    await createPark(server, 'carol@example.com', 'Colorado mark', 'colorado');
    const [coloradoEvent] = await colorado.waitFor(1);
    const message = await refusal(coloradoEvent!.cursor);
    expect(message).toBe('after is not the cursor of an event of this tenant');
    expect(message).not.toContain(tenantIdOf('colorado'));
    // Forged: the other tenant's id with a position that exists in texas.
    expect(await refusal(cursor({ t: tenantIdOf('colorado'), p: 1 }))).toBe(
      'after is not the cursor of an event of this tenant',
    );
    // And the other way round: carol in colorado with a texas cursor.
    const texasCursor = await latestCursor();
    expect(await refusal(texasCursor, 'carol@example.com', 'colorado')).toMatch(/not the cursor/);
  });

  it('a cursor older than the retention period (its event too old, or already expired)', async () => {
    const old = await latestCursor();
    const expired = await latestCursor();
    const kept = await latestCursor();
    // The embedded server records TTL indexes but does not expire documents: age one, delete one.
    await texasEvents().updateOne(
      { position: positionOf(old) },
      { $set: { time: new Date(Date.now() - 8 * 24 * 3600 * 1000) } },
    );
    await texasEvents().deleteOne({ position: positionOf(expired) });

    for (const after of [old, expired]) {
      const message = await refusal(after);
      expect(message).toMatch(/older than the retention period of export events \(7 days\)/);
      expect(message).toMatch(/subscribe again without `after`/);
    }
    // A cursor still within retention works.
    const fine = await subscribe({ after: kept });
    const park = await createPark(server, 'alice@example.com', 'Still fine');
    expect((await fine.waitFor(1))[0]!.subject).toBe(park);
  });
});

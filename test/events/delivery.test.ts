import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  CANCEL_RESERVATION,
  CREATE_PARK,
  CREATE_RESERVATION,
  DELETE_PARK,
  UPDATE_PARK,
  createPark,
  mutate,
  positionOf,
  subscribeEvents,
  type EventSubscription,
} from './support.js';
import { until } from '../support/wait.js';
import { scrape, metricValue } from '../support/metrics.js';

/** Live delivery over graphql-ws (CONTRACT.md section 6): each type, the payload, filters, tenants. */
let server: TestServer;
const subscriptions: EventSubscription[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await Promise.all(subscriptions.map((subscription) => subscription.stop()));
  await server?.stop();
});

async function subscribe(
  email: string,
  variables: { types?: string[] | null; after?: string | null } = {},
  tenant?: string,
) {
  const subscription = await subscribeEvents(
    server,
    { bearer: await server.token(email), ...(tenant ? { tenant } : { tenant: 'texas' }) },
    variables,
  );
  subscriptions.push(subscription);
  return subscription;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('live delivery of every event type', () => {
  it('park.created, park.updated, reservation.created, reservation.cancelled, park.deleted, as CloudEvents', async () => {
    const integrator = await subscribe('frank@example.com');
    const admin = await subscribe('alice@example.com');
    const startedAt = Date.now();

    const { createPark: park } = await mutate<{ createPark: { id: string } }>(
      server,
      'alice@example.com',
      CREATE_PARK,
      {
        input: { name: 'Lost Maples', region: 'Hill Country', capacity: 900 },
      },
    );
    await mutate(server, 'alice@example.com', UPDATE_PARK, { id: park.id, input: { capacity: 950 } });
    const { createReservation: reservation } = await mutate<{ createReservation: { id: string } }>(
      server,
      'alice@example.com',
      CREATE_RESERVATION,
      {
        input: {
          parkId: park.id,
          visitorName: 'Ada',
          visitorEmail: 'ada@example.com',
          partySize: 3,
          date: '2026-07-04',
        },
      },
    );
    await mutate(server, 'alice@example.com', CANCEL_RESERVATION, { id: reservation.id });
    // Cancelling again changes nothing, so it emits nothing.
    await mutate(server, 'alice@example.com', CANCEL_RESERVATION, { id: reservation.id });
    const other = await createPark(server, 'alice@example.com', 'Ephemeral');
    await mutate(server, 'alice@example.com', DELETE_PARK, { id: other });

    const events = await integrator.waitFor(6);
    expect(events.map((event) => event.type)).toEqual([
      'park.created',
      'park.updated',
      'reservation.created',
      'reservation.cancelled',
      'park.created',
      'park.deleted',
    ]);
    const [created, updated, booked, cancelled, otherCreated, deleted] = events;

    for (const event of events) {
      expect(event).toMatchObject({
        specversion: '1.0',
        source: 'urn:tenantgraph:tenant:texas',
        datacontenttype: 'application/json',
        tenant: 'texas',
      });
      expect(event.id).toMatch(/^[0-9a-f]{24}$/);
      expect(event.time).toMatch(ISO);
      expect(Date.parse(event.time)).toBeGreaterThanOrEqual(startedAt - 1000);
      expect(event.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    const positions = events.map((event) => positionOf(event.cursor));
    for (const [index, position] of positions.entries()) {
      if (index > 0) expect(position).toBe(positions[index - 1]! + 1);
    }

    expect(created).toMatchObject({
      subject: park.id,
      data: { id: park.id, name: 'Lost Maples', region: 'Hill Country', capacity: 900 },
    });
    expect(updated).toMatchObject({ subject: park.id, data: { id: park.id, name: 'Lost Maples', capacity: 950 } });
    const reservationData = {
      id: reservation.id,
      park: { id: park.id },
      visitorName: 'Ada',
      partySize: 3,
      date: '2026-07-04',
    };
    // An INTEGRATOR may not read personal data: visitorEmail is left out of the data altogether.
    expect(booked).toMatchObject({ subject: reservation.id, data: { ...reservationData, status: 'CONFIRMED' } });
    expect(booked!.data).not.toHaveProperty('visitorEmail');
    expect(cancelled).toMatchObject({ subject: reservation.id, data: { ...reservationData, status: 'CANCELLED' } });
    expect(cancelled!.data).not.toHaveProperty('visitorEmail');
    expect(otherCreated).toMatchObject({
      subject: other,
      data: { id: other, name: 'Ephemeral', region: null, capacity: null },
    });
    expect(deleted).toMatchObject({ type: 'park.deleted', subject: other, data: { id: other } });
    expect(Object.keys(deleted!.data)).toEqual(['id']);

    // An ADMIN gets the same events (same ids and cursors), with the personal data.
    const adminEvents = await admin.waitFor(6);
    expect(adminEvents.map((event) => [event.id, event.cursor])).toEqual(
      events.map((event) => [event.id, event.cursor]),
    );
    expect(adminEvents[2]!.data).toMatchObject({ ...reservationData, visitorEmail: 'ada@example.com' });
    expect(adminEvents[3]!.data).toMatchObject({ status: 'CANCELLED', visitorEmail: 'ada@example.com' });

    // Nothing more arrives: the second cancel emitted nothing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(integrator.events).toHaveLength(6);
    expect(admin.events).toHaveLength(6);
  });
});

describe('metrics', () => {
  it('/metrics counts live streams and streams started, and a stopped stream leaves the live count', async () => {
    const read = async () => {
      const samples = await scrape(server.url);
      return {
        live: metricValue(samples, 'tenantgraph_export_subscribers'),
        started: metricValue(samples, 'tenantgraph_export_streams_started_total'),
      };
    };
    const before = await read();
    const subscription = await subscribe('frank@example.com');
    const during = await read();
    expect(during.live).toBe(before.live + 1);
    expect(during.started).toBe(before.started + 1);
    await subscription.stop();
    await until(async () => (await read()).live === before.live, 'the stream to end');
    expect((await read()).started).toBe(before.started + 1);
  });
});

describe('types', () => {
  it('delivers only the events of the exact types named, in commit order', async () => {
    const all = await subscribe('frank@example.com');
    const filtered = await subscribe('frank@example.com', { types: ['reservation.created', 'park.deleted'] });
    const park = await createPark(server, 'alice@example.com', 'Filter Park');
    await mutate(server, 'alice@example.com', UPDATE_PARK, { id: park, input: { capacity: 10 } });
    const { createReservation: reservation } = await mutate<{ createReservation: { id: string } }>(
      server,
      'alice@example.com',
      CREATE_RESERVATION,
      { input: { parkId: park, visitorName: 'Bo', visitorEmail: 'bo@example.com', partySize: 1, date: '2026-08-01' } },
    );
    await mutate(server, 'alice@example.com', CANCEL_RESERVATION, { id: reservation.id });
    const gone = await createPark(server, 'alice@example.com', 'Filter Park 2');
    await mutate(server, 'alice@example.com', DELETE_PARK, { id: gone });

    const everything = await all.waitFor(6);
    const kept = await filtered.waitFor(2);
    expect(kept.map((event) => [event.type, event.subject])).toEqual([
      ['reservation.created', reservation.id],
      ['park.deleted', gone],
    ]);
    // The same events as the unfiltered stream's, cursors included.
    const wanted = everything.filter((event) => ['reservation.created', 'park.deleted'].includes(event.type));
    expect(kept.map((event) => event.cursor)).toEqual(wanted.map((event) => event.cursor));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(filtered.events).toHaveLength(2);
  });

  it.each([
    ['an empty list', []],
    ['an unknown type', ['park.created', 'park.renamed']],
    ['a near miss', ['Park.Created']],
  ])('%s is BAD_USER_INPUT, and no stream starts', async (_name, types) => {
    const refused = await subscribeEvents(
      server,
      { bearer: await server.token('frank@example.com') },
      { types },
      { active: false },
    );
    subscriptions.push(refused);
    await refused.ended;
    expect(refused.errors.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors[0]!.message).toMatch(/^types /);
    expect(refused.events).toEqual([]);
  });
});

describe('tenants', () => {
  it('two tenants subscribed at once each receive only their own events, each in its own order', async () => {
    const texas = await subscribe('alice@example.com', {}, 'texas');
    const colorado = await subscribe('carol@example.com', {}, 'colorado');
    const names = [0, 1, 2, 3, 4];
    const [texasParks, coloradoParks] = await Promise.all([
      Promise.all(names.map((i) => createPark(server, 'alice@example.com', `Texas ${i}`, 'texas'))),
      Promise.all(names.map((i) => createPark(server, 'carol@example.com', `Colorado ${i}`, 'colorado'))),
    ]);
    const texasEvents = await texas.waitFor(5);
    const coloradoEvents = await colorado.waitFor(5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(texas.events).toHaveLength(5);
    expect(colorado.events).toHaveLength(5);

    expect(new Set(texasEvents.map((event) => event.subject))).toEqual(new Set(texasParks));
    expect(new Set(coloradoEvents.map((event) => event.subject))).toEqual(new Set(coloradoParks));
    expect(
      texasEvents.every((event) => event.tenant === 'texas' && event.source === 'urn:tenantgraph:tenant:texas'),
    ).toBe(true);
    expect(
      coloradoEvents.every(
        (event) => event.tenant === 'colorado' && event.source === 'urn:tenantgraph:tenant:colorado',
      ),
    ).toBe(true);
    // Each tenant has its own sequence of positions, without gaps.
    for (const events of [texasEvents, coloradoEvents]) {
      const positions = events.map((event) => positionOf(event.cursor));
      expect(positions).toEqual(positions.map((_, index) => positions[0]! + index));
    }
    expect(positionOf(coloradoEvents[0]!.cursor)).toBe(1);
  });

  it('a subscriber on another instance receives the events, whichever instance committed them', async () => {
    const { mongodbUri, mongodbDb } = server.app.services.config;
    const second = await startTestServer({ MONGODB_URI: mongodbUri!, MONGODB_DB: mongodbDb });
    try {
      const onSecond = await subscribeEvents(second, { bearer: await second.token('frank@example.com') });
      subscriptions.push(onSecond);
      const onFirst = await subscribe('frank@example.com');
      const fromFirst = await createPark(server, 'alice@example.com', 'Committed on the first');
      const fromSecond = await createPark(second, 'alice@example.com', 'Committed on the second');
      for (const subscription of [onFirst, onSecond]) {
        const events = await subscription.waitFor(2);
        expect(events.map((event) => event.subject)).toEqual([fromFirst, fromSecond]);
      }
      expect(onSecond.events.map((event) => event.cursor)).toEqual(onFirst.events.map((event) => event.cursor));
    } finally {
      await second.stop();
    }
  });
});

describe('transport', () => {
  it('a subscription sent over HTTP is BAD_USER_INPUT (400) naming the WebSocket endpoint, for anyone', async () => {
    for (const email of ['frank@example.com', 'dave@example.com']) {
      const response = await server.as(email, 'subscription { exportEvents { id } }');
      expect(response.status).toBe(400);
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.message).toMatch(/WebSocket/);
    }
  });
});

import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantDb } from '../../src/data/tenant-db.js';
import type { EventDocument } from '../../src/events/event-document.js';
import { exactLatestPosition, latestPosition, recordEvent } from '../../src/events/outbox.js';
import { fromGlobalId } from '../../src/modules/global-id.js';
import type { ParkDocument } from '../../src/modules/parks/park-document.js';
import { createPark as createParkIn } from '../../src/modules/parks/park-repository.js';
import type { ReservationDocument } from '../../src/modules/reservations/reservation-document.js';
import { cancelReservation as cancelIn } from '../../src/modules/reservations/reservation-repository.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectNoLeak } from '../support/leaks.js';
import {
  CANCEL_RESERVATION,
  CREATE_PARK,
  CREATE_RESERVATION,
  DELETE_PARK,
  UPDATE_PARK,
  createPark,
  mutate,
  published,
  tenantIdOf,
} from './support.js';
import { until } from '../support/wait.js';

/** The transactional outbox: no change without its event, no event without its change, positions in order. */
let server: TestServer;
let texas: TenantDb;

beforeAll(async () => {
  server = await startTestServer();
  texas = server.app.services.database.forTenant(tenantIdOf('texas'));
});
afterAll(async () => {
  await server?.stop();
});

const events = (db: TenantDb = texas) => db.collection<EventDocument>('events');
const parks = (db: TenantDb = texas) => db.collection<ParkDocument>('parks');
const reservations = (db: TenantDb = texas) => db.collection<ReservationDocument>('reservations');
const raw = (globalId: string, type: 'Park' | 'Reservation') => fromGlobalId(type, globalId)!;

async function newReservation(parkId: string, name = 'Vi') {
  const data = await mutate<{ createReservation: { id: string } }>(server, 'alice@example.com', CREATE_RESERVATION, {
    input: { parkId, visitorName: name, visitorEmail: 'vi@example.com', partySize: 2, date: '2026-09-01' },
  });
  return data.createReservation.id;
}

describe('a change and its event commit together, or not at all', () => {
  it('when staging the event fails after the change was written, every mutation leaves nothing behind', async () => {
    const park = await createPark(server, 'alice@example.com', 'Atomic');
    const doomed = await createPark(server, 'alice@example.com', 'Atomic doomed');
    const reservation = await newReservation(park);
    await published(server, texas.tenantId);
    const before = await latestPosition(texas);
    const reservationsBefore = await reservations().count({});

    // The outbox refuses every event (a validator no event passes): each mutation's staging insert
    // fails after the change itself was written in the transaction. Around the data layer on purpose.
    const { mongodbUri, mongodbDb } = server.app.services.config;
    const client = await MongoClient.connect(mongodbUri!);
    const db = client.db(mongodbDb);
    try {
      await db.collection('eventOutbox').drop();
      await db.createCollection('eventOutbox', { validator: { type: 'never an event type' } });
      const attempts: Array<[string, string, Record<string, unknown>]> = [
        ['createPark', CREATE_PARK, { input: { name: 'Never stored' } }],
        ['updatePark', UPDATE_PARK, { id: park, input: { name: 'Never renamed', capacity: 1 } }],
        ['deletePark', DELETE_PARK, { id: doomed }],
        [
          'createReservation',
          CREATE_RESERVATION,
          {
            input: {
              parkId: park,
              visitorName: 'Never',
              visitorEmail: 'never@example.com',
              partySize: 1,
              date: '2026-09-02',
            },
          },
        ],
        ['cancelReservation', CANCEL_RESERVATION, { id: reservation }],
      ];
      for (const [name, query, variables] of attempts) {
        const response = await server.as('alice@example.com', query, { variables });
        expect(
          response.errors?.map((error) => error.extensions?.code),
          name,
        ).toEqual(['INTERNAL_SERVER_ERROR']);
        expectNoLeak(response.errors);
      }
    } finally {
      await db.collection('eventOutbox').drop();
      await client.close();
      await server.app.services.database.ensureIndexes();
    }

    expect(await parks().findOne({ name: 'Never stored' })).toBeNull();
    expect(await parks().findById(raw(park, 'Park'))).toMatchObject({ name: 'Atomic', capacity: null });
    expect(await parks().findById(raw(doomed, 'Park'))).toMatchObject({ name: 'Atomic doomed' });
    expect(await reservations().count({})).toBe(reservationsBefore);
    expect(await reservations().findById(raw(reservation, 'Reservation'))).toMatchObject({ status: 'CONFIRMED' });
    expect(await latestPosition(texas)).toBe(before);

    // With the outbox back, the same mutation commits, and its event takes the next position: no gap.
    await mutate(server, 'alice@example.com', UPDATE_PARK, { id: park, input: { capacity: 7 } });
    await published(server, texas.tenantId);
    expect(await events().find({ position: { $gt: before } })).toEqual([
      expect.objectContaining({ position: before + 1, type: 'park.updated', subject: park }),
    ]);
  });

  /** tenant data where, inside a transaction, writing an event throws (after the change was written). */
  function failingEvents(db: TenantDb, written: string[]): TenantDb {
    const inside = (tx: TenantDb): TenantDb => ({
      tenantId: tx.tenantId,
      inTransaction: tx.inTransaction,
      sessionId: tx.sessionId,
      endSession: (sessionId) => tx.endSession(sessionId),
      collection: ((name: Parameters<TenantDb['collection']>[0]) => {
        const collection = tx.collection(name);
        return new Proxy(collection, {
          get(target, property) {
            const value = Reflect.get(target, property, target) as unknown;
            if (typeof value !== 'function') return value;
            const bound = (value as (...args: unknown[]) => Promise<unknown>).bind(target);
            if (name === 'eventOutbox' && property === 'insertOne') {
              return async () => {
                throw new Error('the process died here');
              };
            }
            return async (...args: unknown[]) => {
              const result = await bound(...args);
              written.push(`${name}.${String(property)}`);
              return result;
            };
          },
        });
      }) as TenantDb['collection'],
      withTransaction: (fn) => tx.withTransaction((inner) => fn(inside(inner))),
      withSharedTransaction: (fn) => tx.withSharedTransaction(fn),
    });
    return { ...inside(db), inTransaction: false, withTransaction: (fn) => db.withTransaction((tx) => fn(inside(tx))) };
  }

  it('when the transaction is cut short right after the change, neither the change nor an event exists', async () => {
    const before = await latestPosition(texas);
    const written: string[] = [];
    await expect(createParkIn(failingEvents(texas, written), { name: 'Half written' })).rejects.toThrow(
      'the process died here',
    );
    expect(written).toContain('parks.insertOne'); // the change was written, inside the transaction
    expect(await parks().findOne({ name: 'Half written' })).toBeNull();

    const park = await createPark(server, 'alice@example.com', 'Cancel target');
    const reservation = raw(await newReservation(park), 'Reservation');
    const afterSetup = await latestPosition(texas);
    written.length = 0;
    await expect(cancelIn(failingEvents(texas, written), reservation)).rejects.toThrow('the process died here');
    expect(written).toContain('reservations.updateOne');
    expect(await reservations().findById(reservation)).toMatchObject({ status: 'CONFIRMED' });
    expect(await latestPosition(texas)).toBe(afterSetup);
    expect(afterSetup).toBe(before + 2);
  });

  it('recordEvent refuses to run outside a transaction, and writes nothing', async () => {
    const before = await latestPosition(texas);
    await expect(recordEvent(texas, { type: 'park.created', subject: 'x', data: {} })).rejects.toThrow(
      /inside the transaction/,
    );
    expect(await latestPosition(texas)).toBe(before);
  });

  it('cancelling a cancelled reservation changes nothing and emits nothing', async () => {
    const park = await createPark(server, 'alice@example.com', 'Idempotent');
    const reservation = await newReservation(park);
    await mutate(server, 'alice@example.com', CANCEL_RESERVATION, { id: reservation });
    const before = await latestPosition(texas);
    await Promise.all(
      [1, 2, 3].map(() => mutate(server, 'alice@example.com', CANCEL_RESERVATION, { id: reservation })),
    );
    expect(await latestPosition(texas)).toBe(before);
    await published(server, texas.tenantId);
    expect(await events().count({ subject: reservation, type: 'reservation.cancelled' })).toBe(1);
  });
});

describe('positions', () => {
  it('count an event from its commit, before it is published, also in a tenant that has no counter yet', async () => {
    const colorado = server.app.services.database.forTenant(tenantIdOf('colorado'));
    expect(await colorado.collection('eventCounters').count({})).toBe(0);
    expect(await exactLatestPosition(colorado)).toBe(0);
    await colorado.withTransaction((tx) =>
      recordEvent(tx, { type: 'park.created', subject: 'UGFyazp4', data: { id: 'UGFyazp4' } }),
    );
    // Staged (counter absent, one in the outbox) or already published (counter 1, outbox empty): 1
    // either way; null only when the publication fell between the reads.
    expect([1, null]).toContain(await exactLatestPosition(colorado));
    expect(await latestPosition(colorado)).toBe(1);
    await published(server, colorado.tenantId);
    expect(await exactLatestPosition(colorado)).toBe(1);
  });

  it('are strictly increasing per tenant under concurrent mutations, in commit order, without gaps or duplicates', async () => {
    const texasId = tenantIdOf('texas');
    const washington = server.app.services.database.forTenant(tenantIdOf('washington'));
    const arrivals: number[] = [];
    const probe = server.app.services.exportFeed.listen(texasId, {
      event: (event) => arrivals.push(event.position),
      gap: () => {},
    });
    try {
      const start = await latestPosition(texas);
      const washingtonStart = await latestPosition(washington);
      const park = await createPark(server, 'alice@example.com', 'Busy');
      const [created, booked] = await Promise.all([
        Promise.all(Array.from({ length: 25 }, (_, i) => createPark(server, 'alice@example.com', `Concurrent ${i}`))),
        Promise.all(Array.from({ length: 10 }, (_, i) => newReservation(park, `Guest ${i}`))),
        Promise.all(Array.from({ length: 10 }, (_, i) => createPark(server, 'bob@example.com', `Washington ${i}`))),
      ]);
      const total = 1 + 25 + 10;
      await until(() => arrivals.length >= total, 'the events through the change stream');

      // Commit order (the change stream's) is position order, each position once.
      expect(arrivals).toEqual(arrivals.map((_, index) => start + 1 + index));
      const stored = await events().find({ position: { $gt: start } }, { sort: { position: 1 } });
      expect(stored.map((event) => event.position)).toEqual(arrivals);
      expect(await latestPosition(texas)).toBe(start + total);
      // One event per change, each naming its own object.
      expect(new Set(stored.filter((event) => event.type === 'park.created').map((event) => event.subject))).toEqual(
        new Set([park, ...created]),
      );
      expect(
        new Set(stored.filter((event) => event.type === 'reservation.created').map((event) => event.subject)),
      ).toEqual(new Set(booked));
      // Washington's own sequence, untouched by texas's.
      await published(server, washington.tenantId);
      const washingtonEvents = await events(washington).find(
        { position: { $gt: washingtonStart } },
        { sort: { position: 1 } },
      );
      expect(washingtonEvents.map((event) => event.position)).toEqual(
        Array.from({ length: 10 }, (_, i) => washingtonStart + 1 + i),
      );
    } finally {
      probe.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/data/ids.js';
import type { TenantDb } from '../../src/data/tenant-db.js';
import type { CreateReservationInput } from '../../src/generated/graphql.js';
import { toGlobalId } from '../../src/modules/global-id.js';
import { encodeCursor } from '../../src/modules/pagination.js';
import type { ParkDocument } from '../../src/modules/parks/park-document.js';
import { createPark } from '../../src/modules/parks/park-repository.js';
import {
  cancelReservation,
  createReservation,
  findReservationsByIds,
  listReservations,
  reservationPagesOfParks,
} from '../../src/modules/reservations/reservation-repository.js';
import { reservationStats } from '../../src/modules/reservations/stats.js';
import { expectAppError, openTenantFixture, type TenantFixture } from './tenant-fixture.js';

let fixture: TenantFixture;
let park: ParkDocument;
let foreignPark: ParkDocument;

const inputFor = (target: ParkDocument, overrides: Partial<CreateReservationInput> = {}): CreateReservationInput => ({
  parkId: toGlobalId('Park', target._id),
  visitorName: 'Maria Gonzalez',
  visitorEmail: 'maria@example.com',
  partySize: 4,
  date: '2026-03-14',
  ...overrides,
});

beforeAll(async () => {
  fixture = await openTenantFixture();
  park = await createPark(fixture.tenantA, { name: 'Big Bend Ranch' });
  foreignPark = await createPark(fixture.tenantB, { name: 'Deception Pass' });
});
afterAll(async () => {
  await fixture?.close();
});

describe('createReservation', () => {
  it('stores a CONFIRMED reservation of a park of the tenant', async () => {
    const reservation = await createReservation(
      fixture.tenantA,
      inputFor(park, { visitorName: ' Maria ', visitorEmail: ' maria@example.com ' }),
    );
    expect(reservation).toMatchObject({
      tenantId: fixture.tenantA.tenantId,
      parkId: park._id,
      visitorName: 'Maria',
      visitorEmail: 'maria@example.com',
      partySize: 4,
      date: '2026-03-14',
      status: 'CONFIRMED',
    });
    expect(await findReservationsByIds(fixture.tenantA, [reservation._id])).toEqual([reservation]);
  });

  it.each([
    [{ visitorName: '  ' }, 'input.visitorName'],
    [{ visitorName: 'n'.repeat(201) }, 'input.visitorName'],
    [{ visitorEmail: 'not-an-email' }, 'input.visitorEmail'],
    [{ visitorEmail: 'a b@example.com' }, 'input.visitorEmail'],
    [{ visitorEmail: 'user@localhost' }, 'input.visitorEmail'],
    [{ visitorEmail: `${'a'.repeat(60)}@${'b'.repeat(190)}.com` }, 'input.visitorEmail'],
    [{ partySize: 0 }, 'input.partySize'],
    [{ partySize: 101 }, 'input.partySize'],
    [{ partySize: 1.5 }, 'input.partySize'],
    [{ date: '2026-02-29' }, 'input.date'],
    [{ date: '2026-13-01' }, 'input.date'],
    [{ date: '14/03/2026' }, 'input.date'],
  ])('refuses %j naming %s', async (overrides, field) => {
    await expectAppError(createReservation(fixture.tenantA, inputFor(park, overrides)), 'BAD_USER_INPUT', field);
  });

  it('accepts the limits', async () => {
    const reservation = await createReservation(
      fixture.tenantA,
      inputFor(park, { visitorName: 'n'.repeat(200), partySize: 100, date: '2028-02-29' }),
    );
    expect(reservation.partySize).toBe(100);
  });

  it('answers a garbage, missing, mistyped or foreign park id with the same error', async () => {
    const messages = [];
    for (const parkId of [
      'garbage',
      toGlobalId('Park', '0'.repeat(24)),
      toGlobalId('Reservation', park._id),
      toGlobalId('Park', foreignPark._id),
    ]) {
      const error = await expectAppError(
        createReservation(fixture.tenantA, inputFor(park, { parkId })),
        'BAD_USER_INPUT',
        'input.parkId',
      );
      messages.push(error.message);
    }
    expect(new Set(messages).size).toBe(1);
    expect(await listReservations(fixture.tenantB, {})).toMatchObject({ nodes: [] });
  });
});

describe('cancelReservation', () => {
  it('cancels, and cancelling again returns the cancelled reservation unchanged', async () => {
    const reservation = await createReservation(fixture.tenantA, inputFor(park));
    const cancelled = await cancelReservation(fixture.tenantA, reservation._id);
    expect(cancelled).toMatchObject({ _id: reservation._id, status: 'CANCELLED' });
    const again = await cancelReservation(fixture.tenantA, reservation._id);
    expect(again).toEqual(cancelled);
  });

  it("treats another tenant's reservation as missing and leaves it alone", async () => {
    const foreign = await createReservation(fixture.tenantB, inputFor(foreignPark));
    const missing = await expectAppError(cancelReservation(fixture.tenantA, '0'.repeat(24)), 'NOT_FOUND');
    const other = await expectAppError(cancelReservation(fixture.tenantA, foreign._id), 'NOT_FOUND');
    expect(other.message).toBe(missing.message);
    expect((await findReservationsByIds(fixture.tenantB, [foreign._id]))[0]?.status).toBe('CONFIRMED');
    expect(await findReservationsByIds(fixture.tenantA, [foreign._id])).toEqual([]);
  });
});

describe('pages', () => {
  let tenant: TenantDb;
  let parks: ParkDocument[];

  beforeAll(async () => {
    tenant = fixture.database.forTenant(newId());
    parks = [await createPark(tenant, { name: 'One' }), await createPark(tenant, { name: 'Two' })];
    for (let i = 0; i < 5; i += 1) {
      for (const target of parks) {
        await createReservation(tenant, inputFor(target, { visitorName: `${target.name} ${i}` }));
      }
    }
  });

  it("lists the tenant's reservations in creation order", async () => {
    const first = await listReservations(tenant, { first: 3 });
    expect(first.nodes.map((r) => r.visitorName)).toEqual(['One 0', 'Two 0', 'One 1']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = await listReservations(tenant, { first: 100, after: first.pageInfo.endCursor });
    expect(rest.nodes).toHaveLength(7);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('pages the reservations of several parks in one call', async () => {
    const [one, two] = parks as [ParkDocument, ParkDocument];
    const empty = await createPark(tenant, { name: 'Empty' });
    const pages = await reservationPagesOfParks(tenant, [one._id, two._id, empty._id, foreignPark._id], {
      first: 2,
      afterId: null,
    });
    expect(pages.get(one._id)?.nodes.map((r) => r.visitorName)).toEqual(['One 0', 'One 1']);
    expect(pages.get(one._id)?.pageInfo.hasNextPage).toBe(true);
    expect(pages.get(two._id)?.nodes.map((r) => r.visitorName)).toEqual(['Two 0', 'Two 1']);
    expect(pages.has(empty._id)).toBe(false);
    expect(pages.has(foreignPark._id)).toBe(false);

    const after = pages.get(one._id)?.pageInfo.endCursor ?? '';
    const next = await reservationPagesOfParks(tenant, [one._id], {
      first: 10,
      afterId: Buffer.from(after, 'base64url').toString(),
    });
    expect(next.get(one._id)?.nodes.map((r) => r.visitorName)).toEqual(['One 2', 'One 3', 'One 4']);
    expect(next.get(one._id)?.pageInfo.hasNextPage).toBe(false);
    expect(encodeCursor(next.get(one._id)?.nodes[0]?._id ?? '')).toBe(next.get(one._id)?.edges[0]?.cursor);
  });
});

describe('reservationStats', () => {
  let tenant: TenantDb;
  let north: ParkDocument;
  let south: ParkDocument;

  beforeAll(async () => {
    tenant = fixture.database.forTenant(newId());
    north = await createPark(tenant, { name: 'North' });
    south = await createPark(tenant, { name: 'South' });
    const rows: Array<[ParkDocument, string, number]> = [
      [north, '2026-03-01', 2],
      [north, '2026-03-31', 3],
      [north, '2026-04-15', 4],
      [south, '2026-03-10', 5],
      [south, '2026-05-01', 1],
    ];
    for (const [target, date, partySize] of rows)
      await createReservation(tenant, inputFor(target, { date, partySize }));
    const cancelled = await createReservation(tenant, inputFor(south, { date: '2026-03-20', partySize: 50 }));
    await cancelReservation(tenant, cancelled._id);
    await createReservation(fixture.tenantB, inputFor(foreignPark, { date: '2026-03-05', partySize: 9 }));
  });

  it('groups confirmed reservations by park, keyed by global id', async () => {
    const stats = await reservationStats(tenant, 'PARK', null, null);
    const expected = [
      { key: toGlobalId('Park', north._id), reservations: 3, visitors: 9 },
      { key: toGlobalId('Park', south._id), reservations: 2, visitors: 6 },
    ].sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(stats).toEqual(expected);
  });

  it('groups by month, sorted', async () => {
    expect(await reservationStats(tenant, 'MONTH', null, null)).toEqual([
      { key: '2026-03', reservations: 3, visitors: 10 },
      { key: '2026-04', reservations: 1, visitors: 4 },
      { key: '2026-05', reservations: 1, visitors: 1 },
    ]);
  });

  it('limits to an inclusive date range, open on either side', async () => {
    expect(await reservationStats(tenant, 'MONTH', '2026-03-31', '2026-05-01')).toEqual([
      { key: '2026-03', reservations: 1, visitors: 3 },
      { key: '2026-04', reservations: 1, visitors: 4 },
      { key: '2026-05', reservations: 1, visitors: 1 },
    ]);
    expect(await reservationStats(tenant, 'PARK', '2026-04-01', null)).toHaveLength(2);
    expect(await reservationStats(tenant, 'MONTH', null, '2026-03-09')).toEqual([
      { key: '2026-03', reservations: 1, visitors: 2 },
    ]);
    expect(await reservationStats(tenant, 'PARK', '2027-01-01', '2027-12-31')).toEqual([]);
  });

  it('refuses from after to, and dates that are not calendar dates', async () => {
    await expectAppError(reservationStats(tenant, 'MONTH', '2026-05-01', '2026-04-30'), 'BAD_USER_INPUT', 'from');
    await expectAppError(reservationStats(tenant, 'MONTH', '2026-02-30', null), 'BAD_USER_INPUT', 'from');
    await expectAppError(reservationStats(tenant, 'MONTH', null, 'soon'), 'BAD_USER_INPUT', 'to');
  });

  it('runs as one aggregate command', async () => {
    fixture.commands.length = 0;
    await reservationStats(tenant, 'PARK', '2026-01-01', '2026-12-31');
    expect(fixture.commands).toEqual(['aggregate']);
  });
});

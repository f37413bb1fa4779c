import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/data/ids.js';
import type { TenantDb } from '../../src/data/tenant-db.js';
import { toGlobalId } from '../../src/modules/global-id.js';
import { requestLoaders } from '../../src/modules/application.js';
import type { ParkDocument } from '../../src/modules/parks/park-document.js';
import { createPark, updatePark } from '../../src/modules/parks/park-repository.js';
import { createReservation } from '../../src/modules/reservations/reservation-repository.js';
import { expectAppError, openTenantFixture, type TenantFixture } from './tenant-fixture.js';

let fixture: TenantFixture;
let tenant: TenantDb;
let parks: ParkDocument[];

beforeAll(async () => {
  fixture = await openTenantFixture();
  tenant = fixture.database.forTenant(newId());
  parks = [];
  for (let i = 0; i < 20; i += 1) {
    const park = await createPark(tenant, { name: `Park ${i}` });
    parks.push(park);
    for (let j = 0; j < 3; j += 1) {
      await createReservation(tenant, {
        parkId: toGlobalId('Park', park._id),
        visitorName: `Visitor ${i}.${j}`,
        visitorEmail: `visitor${i}.${j}@example.com`,
        partySize: 1 + j,
        date: '2026-06-01',
      });
    }
  }
});
afterAll(async () => {
  await fixture?.close();
});

describe('reservationsByPark', () => {
  it('loads the reservations of 20 parks with one aggregate, not 20', async () => {
    const loaders = requestLoaders(tenant);
    fixture.commands.length = 0;
    const pages = await Promise.all(
      parks.map((park) => loaders.reservationsByPark.load({ parkId: park._id, first: 2, afterId: null })),
    );
    expect(fixture.commands).toEqual(['aggregate']);
    pages.forEach((page, i) => {
      expect(page.nodes.map((r) => r.visitorName)).toEqual([`Visitor ${i}.0`, `Visitor ${i}.1`]);
      expect(page.pageInfo.hasNextPage).toBe(true);
    });
  });

  it('caches by park and page, and batches each page shape once', async () => {
    const loaders = requestLoaders(tenant);
    const [one, two] = parks as [ParkDocument, ParkDocument];
    fixture.commands.length = 0;
    const [a, b, c] = await Promise.all([
      loaders.reservationsByPark.load({ parkId: one._id, first: 20, afterId: null }),
      loaders.reservationsByPark.load({ parkId: one._id, first: 20, afterId: null }),
      loaders.reservationsByPark.load({ parkId: two._id, first: 1, afterId: null }),
    ]);
    expect(fixture.commands).toEqual(['aggregate', 'aggregate']);
    expect(a).toBe(b);
    expect(a.nodes).toHaveLength(3);
    expect(a.pageInfo.hasNextPage).toBe(false);
    expect(c.nodes).toHaveLength(1);

    fixture.commands.length = 0;
    await loaders.reservationsByPark.load({ parkId: one._id, first: 20, afterId: null });
    expect(fixture.commands).toEqual([]);
  });

  it('answers an empty page for a park without reservations or of another tenant', async () => {
    const loaders = requestLoaders(tenant);
    const foreign = await createPark(fixture.tenantB, { name: 'Elsewhere' });
    const page = await loaders.reservationsByPark.load({ parkId: foreign._id, first: 5, afterId: null });
    expect(page).toEqual({ edges: [], nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });
});

describe('parkById and reservationById', () => {
  it("load 20 parks with one find, and another tenant's park as null", async () => {
    const loaders = requestLoaders(tenant);
    const foreign = await createPark(fixture.tenantB, { name: 'Not yours' });
    fixture.commands.length = 0;
    const loaded = await Promise.all([...parks, foreign].map((park) => loaders.parkById.load(park._id)));
    expect(fixture.commands).toEqual(['find']);
    expect(loaded.slice(0, 20).map((park) => park?.name)).toEqual(parks.map((park) => park.name));
    expect(loaded[20]).toBeNull();
  });

  it('load a malformed id as null', async () => {
    const loaders = requestLoaders(tenant);
    expect(await loaders.reservationById.load('not-an-id')).toBeNull();
  });

  it('are per request: a new set of loaders sees a change an older one had cached', async () => {
    const [park] = parks as [ParkDocument];
    const first = requestLoaders(tenant);
    expect((await first.parkById.load(park._id))?.name).toBe('Park 0');
    await updatePark(tenant, park._id, { name: 'Park zero' });
    expect((await first.parkById.load(park._id))?.name).toBe('Park 0');
    expect((await requestLoaders(tenant).parkById.load(park._id))?.name).toBe('Park zero');
    await updatePark(tenant, park._id, { name: 'Park 0' });
  });
});

describe('without a tenant', () => {
  it('refuses every load with FORBIDDEN and queries nothing', async () => {
    const loaders = requestLoaders(null);
    const [park] = parks as [ParkDocument];
    fixture.commands.length = 0;
    await expectAppError(loaders.parkById.load(park._id), 'FORBIDDEN');
    await expectAppError(loaders.reservationById.load(park._id), 'FORBIDDEN');
    await expectAppError(loaders.reservationsByPark.load({ parkId: park._id, first: 1, afterId: null }), 'FORBIDDEN');
    expect(fixture.commands).toEqual([]);
  });
});

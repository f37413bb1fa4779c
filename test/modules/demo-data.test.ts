import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/data/ids.js';
import { toGlobalId } from '../../src/modules/global-id.js';
import type { ParkDocument } from '../../src/modules/parks/park-document.js';
import { parseCreateParkInput } from '../../src/modules/parks/park-input.js';
import { listParks, updatePark } from '../../src/modules/parks/park-repository.js';
import type { ReservationDocument } from '../../src/modules/reservations/reservation-document.js';
import { parseCreateReservationInput } from '../../src/modules/reservations/reservation-input.js';
import { DEMO_PARKS, seedParksAndReservations } from '../../src/modules/parks/demo-data.js';
import type { DemoTenantSlug } from '../../src/seed/demo-identities.js';
import { openTenantFixture, type TenantFixture } from './tenant-fixture.js';

const SLUGS = Object.keys(DEMO_PARKS) as DemoTenantSlug[];

describe('DEMO_PARKS', () => {
  it.each(SLUGS)('gives %s at least 3 parks and 5 reservations, all valid input', (slug) => {
    const parks = DEMO_PARKS[slug];
    expect(parks.length).toBeGreaterThanOrEqual(3);
    expect(parks.flatMap((park) => park.reservations).length).toBeGreaterThanOrEqual(5);
    expect(new Set(parks.map((park) => park.key)).size).toBe(parks.length);
    for (const park of parks) {
      expect(park.reservations.length).toBeLessThan(100);
      expect(() => parseCreateParkInput(park)).not.toThrow();
      for (const reservation of park.reservations) {
        expect(() =>
          parseCreateReservationInput({ ...reservation, parkId: toGlobalId('Park', newId()) }),
        ).not.toThrow();
      }
    }
  });
});

describe('seedParksAndReservations', () => {
  let fixture: TenantFixture;

  beforeAll(async () => {
    fixture = await openTenantFixture();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('seeds the tenant in DEMO_PARKS order, and a second run changes nothing', async () => {
    const tenant = fixture.tenantA;
    await seedParksAndReservations(tenant, 'texas');
    const parks = tenant.collection<ParkDocument>('parks');
    const reservations = tenant.collection<ReservationDocument>('reservations');
    const listed = await listParks(tenant, {});
    expect(listed.nodes.map((park) => park.name)).toEqual(DEMO_PARKS.texas.map((park) => park.name));

    await updatePark(tenant, listed.nodes[0]?._id ?? '', { name: 'Renamed by a user' });
    const before = { parks: await parks.find({}), reservations: await reservations.find({}) };
    await seedParksAndReservations(tenant, 'texas');
    expect(await parks.find({})).toEqual(before.parks);
    expect(await reservations.find({})).toEqual(before.reservations);
    expect(before.reservations).toHaveLength(DEMO_PARKS.texas.flatMap((park) => park.reservations).length);
    expect(before.reservations.every((r) => before.parks.some((park) => park._id === r.parkId))).toBe(true);
  });

  it('gives each tenant its own documents', async () => {
    await seedParksAndReservations(fixture.tenantB, 'washington');
    const names = (await listParks(fixture.tenantB, {})).nodes.map((park) => park.name);
    expect(names).toEqual(DEMO_PARKS.washington.map((park) => park.name));
  });
});

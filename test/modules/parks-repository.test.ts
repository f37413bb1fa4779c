import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/data/ids.js';
import { toGlobalId } from '../../src/modules/global-id.js';
import { decodeCursor } from '../../src/modules/pagination.js';
import {
  createPark,
  deletePark,
  findParksByIds,
  listParks,
  updatePark,
} from '../../src/modules/parks/park-repository.js';
import { cancelReservation, createReservation } from '../../src/modules/reservations/reservation-repository.js';
import { expectAppError, openTenantFixture, type TenantFixture } from './tenant-fixture.js';

let fixture: TenantFixture;

beforeAll(async () => {
  fixture = await openTenantFixture();
});
afterAll(async () => {
  await fixture?.close();
});

describe('createPark', () => {
  it('stores the validated park in the bound tenant', async () => {
    const park = await createPark(fixture.tenantA, {
      name: '  Garner State Park ',
      region: 'Hill Country',
      capacity: 2000,
    });
    expect(park).toMatchObject({
      tenantId: fixture.tenantA.tenantId,
      name: 'Garner State Park',
      region: 'Hill Country',
      capacity: 2000,
    });
    expect(park._id).toMatch(/^[0-9a-f]{24}$/);
    expect(park.createdAt).toBeInstanceOf(Date);
    expect(await findParksByIds(fixture.tenantA, [park._id])).toEqual([park]);
  });

  it('stores omitted and blank optional fields as null', async () => {
    const park = await createPark(fixture.tenantA, { name: 'Mueller', region: '   ' });
    expect(park).toMatchObject({ region: null, capacity: null });
  });

  it.each([
    [{ name: '   ' }, 'input.name'],
    [{ name: 'x'.repeat(201) }, 'input.name'],
    [{ name: 'Ok', region: 'r'.repeat(101) }, 'input.region'],
    [{ name: 'Ok', capacity: -1 }, 'input.capacity'],
    [{ name: 'Ok', capacity: 1_000_001 }, 'input.capacity'],
    [{ name: 'Ok', capacity: 2.5 }, 'input.capacity'],
  ])('refuses %j naming %s', async (input, field) => {
    await expectAppError(createPark(fixture.tenantA, input), 'BAD_USER_INPUT', field);
  });

  it('accepts the limits', async () => {
    const park = await createPark(fixture.tenantA, {
      name: 'x'.repeat(200),
      region: 'r'.repeat(100),
      capacity: 1_000_000,
    });
    expect(park.capacity).toBe(1_000_000);
    expect((await createPark(fixture.tenantA, { name: 'Zero', capacity: 0 })).capacity).toBe(0);
  });
});

describe('updatePark', () => {
  it('changes the given fields only, and clears a field set to null', async () => {
    const park = await createPark(fixture.tenantA, { name: 'Ridgway', region: 'San Juan', capacity: 10 });
    const renamed = await updatePark(fixture.tenantA, park._id, { name: ' Ridgway State Park ' });
    expect(renamed).toMatchObject({ name: 'Ridgway State Park', region: 'San Juan', capacity: 10 });
    expect(renamed.updatedAt.getTime()).toBeGreaterThanOrEqual(park.updatedAt.getTime());
    const cleared = await updatePark(fixture.tenantA, park._id, { region: null, capacity: null });
    expect(cleared).toMatchObject({ name: 'Ridgway State Park', region: null, capacity: null });
  });

  it('refuses an input that changes nothing, a null name and invalid values', async () => {
    const park = await createPark(fixture.tenantA, { name: 'Moran' });
    await expectAppError(updatePark(fixture.tenantA, park._id, {}), 'BAD_USER_INPUT', 'input');
    await expectAppError(updatePark(fixture.tenantA, park._id, { name: null }), 'BAD_USER_INPUT', 'input.name');
    await expectAppError(updatePark(fixture.tenantA, park._id, { capacity: -5 }), 'BAD_USER_INPUT', 'input.capacity');
  });

  it("treats a missing park and another tenant's park alike: NOT_FOUND, nothing changed", async () => {
    const foreign = await createPark(fixture.tenantB, { name: 'Deception Pass' });
    const missing = await expectAppError(updatePark(fixture.tenantA, '0'.repeat(24), { name: 'x' }), 'NOT_FOUND');
    const other = await expectAppError(updatePark(fixture.tenantA, foreign._id, { name: 'Taken over' }), 'NOT_FOUND');
    expect(other.message).toBe(missing.message);
    expect((await findParksByIds(fixture.tenantB, [foreign._id]))[0]?.name).toBe('Deception Pass');
  });
});

describe('listParks', () => {
  let tenant: TenantFixture['tenantA'];
  const names = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo'];

  beforeEach(async () => {
    tenant = fixture.database.forTenant(newId());
    for (const name of names) await createPark(tenant, { name });
    await createPark(fixture.tenantB, { name: 'Not mine' });
  });

  it("pages through the tenant's parks in creation order", async () => {
    const first = await listParks(tenant, { first: 2 });
    expect(first.nodes.map((park) => park.name)).toEqual(['Alpha', 'Bravo']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(decodeCursor(first.pageInfo.endCursor ?? '')).toBe(first.nodes[1]?._id);

    const second = await listParks(tenant, { first: 2, after: first.pageInfo.endCursor });
    expect(second.nodes.map((park) => park.name)).toEqual(['Charlie', 'Delta']);
    const last = await listParks(tenant, { first: 2, after: second.pageInfo.endCursor });
    expect(last.nodes.map((park) => park.name)).toEqual(['Echo']);
    expect(last.pageInfo.hasNextPage).toBe(false);
  });

  it('defaults to 20 and answers first = 0 with an empty page', async () => {
    expect((await listParks(tenant, {})).nodes).toHaveLength(5);
    const empty = await listParks(tenant, { first: 0 });
    expect(empty.nodes).toEqual([]);
    expect(empty.pageInfo).toEqual({ hasNextPage: true, endCursor: null });
  });

  it('refuses a negative first and a malformed cursor', async () => {
    await expectAppError(listParks(tenant, { first: -1 }), 'BAD_USER_INPUT', 'first');
    await expectAppError(listParks(tenant, { after: 'bogus' }), 'BAD_USER_INPUT', 'after');
    await expectAppError(listParks(tenant, { after: toGlobalId('Park', '0'.repeat(24)) }), 'BAD_USER_INPUT', 'after');
  });
});

describe('deletePark', () => {
  it('deletes a park without reservations and returns it', async () => {
    const park = await createPark(fixture.tenantA, { name: 'Palouse Falls' });
    expect((await deletePark(fixture.tenantA, park._id))._id).toBe(park._id);
    expect(await findParksByIds(fixture.tenantA, [park._id])).toEqual([]);
    await expectAppError(deletePark(fixture.tenantA, park._id), 'NOT_FOUND');
  });

  it('refuses a park that has reservations, cancelled ones included', async () => {
    const park = await createPark(fixture.tenantA, { name: 'Palo Duro Canyon' });
    const reservation = await createReservation(fixture.tenantA, {
      parkId: toGlobalId('Park', park._id),
      visitorName: 'Emily',
      visitorEmail: 'emily@example.com',
      partySize: 2,
      date: '2026-04-18',
    });
    await expectAppError(deletePark(fixture.tenantA, park._id), 'BAD_USER_INPUT', 'id');
    await cancelReservation(fixture.tenantA, reservation._id);
    await expectAppError(deletePark(fixture.tenantA, park._id), 'BAD_USER_INPUT', 'id');
    expect(await findParksByIds(fixture.tenantA, [park._id])).toHaveLength(1);
  });

  it("leaves another tenant's park alone: NOT_FOUND", async () => {
    const foreign = await createPark(fixture.tenantB, { name: 'Cape Disappointment' });
    await expectAppError(deletePark(fixture.tenantA, foreign._id), 'NOT_FOUND');
    expect(await findParksByIds(fixture.tenantB, [foreign._id])).toHaveLength(1);
  });
});

describe('findParksByIds', () => {
  it("finds nothing for another tenant's ids or malformed ids", async () => {
    const foreign = await createPark(fixture.tenantB, { name: 'Eldorado Canyon' });
    expect(await findParksByIds(fixture.tenantA, [foreign._id, 'nope', '0'.repeat(24)])).toEqual([]);
  });
});

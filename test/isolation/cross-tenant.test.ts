import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestServer, type TestServer } from '../support/server.js';

/**
 * The cross-tenant matrix: alice is ADMIN of texas (and only a VIEWER of washington); every query,
 * mutation and `_entities` call she makes in texas with washington's ids must answer exactly as for
 * a missing object and change nothing in washington.
 */
let server: TestServer;
let foreign: { parkId: string; reservationId: string; snapshot: unknown };

const WASHINGTON_SNAPSHOT = `{
  parks(first: 100) { nodes { id name region capacity } }
  reservations(first: 100) { nodes { id status partySize visitorName park { id } } }
}`;

const asAliceInTexas = (query: string, variables?: Record<string, unknown>) =>
  server.as('alice@example.com', query, { variables, tenant: 'texas' });

beforeAll(async () => {
  server = await startTestServer();
  const bob = await server.as<{
    parks: { nodes: Array<{ id: string }> };
    reservations: { nodes: Array<{ id: string }> };
  }>('bob@example.com', WASHINGTON_SNAPSHOT);
  foreign = {
    parkId: bob.data!.parks.nodes[0]!.id,
    reservationId: bob.data!.reservations.nodes[0]!.id,
    snapshot: bob.data,
  };
});

afterAll(() => server?.stop());

async function expectWashingtonUnchanged() {
  const after = await server.as('bob@example.com', WASHINGTON_SNAPSHOT);
  expect(after.data).toEqual(foreign.snapshot);
}

describe('reads', () => {
  it('park(id:) of another tenant is null, like a missing one', async () => {
    const response = await asAliceInTexas('query($id: ID!) { park(id: $id) { id name } }', { id: foreign.parkId });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ park: null });
  });

  it('reservation(id:) of another tenant is null', async () => {
    const response = await asAliceInTexas('query($id: ID!) { reservation(id: $id) { id } }', {
      id: foreign.reservationId,
    });
    expect(response.data).toEqual({ reservation: null });
  });

  it('lists never contain another tenant’s objects', async () => {
    const response = await asAliceInTexas(WASHINGTON_SNAPSHOT);
    const ids = JSON.stringify(response.data);
    expect(ids).not.toContain(foreign.parkId);
    expect(ids).not.toContain(foreign.reservationId);
  });

  it('_entities with another tenant’s ids resolves them to null', async () => {
    const response = await asAliceInTexas(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Park { id name } ... on Reservation { id } ... on Tenant { id slug } } }`,
      {
        reps: [
          { __typename: 'Park', id: foreign.parkId },
          { __typename: 'Reservation', id: foreign.reservationId },
        ],
      },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ _entities: [null, null] });
  });
});

describe('writes', () => {
  it.each([
    ['updatePark', 'mutation($id: ID!) { updatePark(id: $id, input: { name: "Taken" }) { id } }', 'parkId'],
    ['deletePark', 'mutation($id: ID!) { deletePark(id: $id) }', 'parkId'],
    ['cancelReservation', 'mutation($id: ID!) { cancelReservation(id: $id) { id } }', 'reservationId'],
  ] as const)('%s on another tenant’s object is NOT_FOUND and changes nothing', async (_name, mutation, key) => {
    const response = await asAliceInTexas(mutation, { id: foreign[key] });
    expect(codes(response)).toEqual(['NOT_FOUND']);
    await expectWashingtonUnchanged();
  });

  it('createReservation naming another tenant’s park is refused without revealing it', async () => {
    const response = await asAliceInTexas(
      `mutation($park: ID!) { createReservation(input: { parkId: $park, visitorName: "X", visitorEmail: "x@example.com", partySize: 1, date: "2026-12-24" }) { id } }`,
      { park: foreign.parkId },
    );
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(response.errors)).not.toContain(foreign.parkId);
    await expectWashingtonUnchanged();
  });
});

describe('operator injection', () => {
  const injections = [
    { $ne: null },
    { $gt: '' },
    { $where: 'true' },
    { $expr: { $eq: [1, 1] } },
    { $or: [{ tenantId: { $exists: true } }] },
  ];

  it.each(injections)('_entities representation id %j is refused or literal, never a filter', async (id) => {
    const response = await asAliceInTexas(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Park { id name } ... on Reservation { id } } }`,
      {
        reps: [
          { __typename: 'Park', id },
          { __typename: 'Reservation', id },
        ],
      },
    );
    expect(response.data?._entities ?? [null, null]).toEqual([null, null]);
  });

  it.each(injections)('an ID argument %j is refused as input', async (id) => {
    const response = await asAliceInTexas('query($id: ID!) { park(id: $id) { id } }', { id });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.data ?? null).toBeNull();
  });

  it('a string id that looks like an operator is just a missing park', async () => {
    const response = await asAliceInTexas('query($id: ID!) { park(id: $id) { id } }', { id: '{"$ne":null}' });
    expect(response.data).toEqual({ park: null });
  });
});

describe('X-Tenant-ID', () => {
  it('a tenant the user is not a member of is FORBIDDEN, as is one that does not exist', async () => {
    for (const tenant of ['colorado', 'nowhere']) {
      const response = await server.as('alice@example.com', '{ parks { nodes { id } } }', { tenant });
      expect(response.status).toBe(403);
      expect(codes(response)).toEqual(['FORBIDDEN']);
    }
  });

  it('a member reads the tenant it names, with its roles there (alice is a viewer of washington)', async () => {
    const read = await server.as('alice@example.com', '{ viewer { tenant { slug } roles } }', { tenant: 'washington' });
    expect(read.data).toEqual({ viewer: { tenant: { slug: 'washington' }, roles: ['VIEWER'] } });
    const write = await server.as('alice@example.com', 'mutation { createPark(input: { name: "Nope" }) { id } }', {
      tenant: 'washington',
    });
    expect(codes(write)).toEqual(['FORBIDDEN']);
  });
});

import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/context.js';
import { newId } from '../../src/data/ids.js';
import type { TenantDb } from '../../src/data/tenant-db.js';
import { toGlobalId } from '../../src/modules/global-id.js';
import { requestLoaders } from '../../src/modules/application.js';
import { parkResolvers } from '../../src/modules/parks/resolvers.js';
import type { ParkDocument } from '../../src/modules/parks/park-document.js';
import { createPark } from '../../src/modules/parks/park-repository.js';
import { reservationResolvers } from '../../src/modules/reservations/resolvers.js';
import { createReservation } from '../../src/modules/reservations/reservation-repository.js';
import { scalarResolvers } from '../../src/modules/core/scalars.js';
import { loadTypeDefs } from '../../src/schema/type-defs.js';
import { openTenantFixture, type TenantFixture } from './tenant-fixture.js';

/**
 * The resolvers of this module in the real subgraph schema, without the permission layer (the
 * lead's HTTP tests cover that): what they resolve, and how many database round trips it costs.
 */
let fixture: TenantFixture;
let schema: GraphQLSchema;
let tenant: TenantDb;
let parks: ParkDocument[];

function run(source: string, variableValues?: Record<string, unknown>, db: TenantDb | null = tenant) {
  const contextValue = { db, loaders: requestLoaders(db) } as Partial<RequestContext> as RequestContext;
  return graphql({ schema, source, variableValues, contextValue });
}

beforeAll(async () => {
  schema = buildSubgraphSchema({
    typeDefs: loadTypeDefs(),
    resolvers: {
      ...scalarResolvers,
      Query: { ...parkResolvers.Query, ...reservationResolvers.Query },
      Mutation: { ...parkResolvers.Mutation, ...reservationResolvers.Mutation },
      Park: parkResolvers.Park,
      Reservation: reservationResolvers.Reservation,
    } as never,
  });
  fixture = await openTenantFixture();
  tenant = fixture.database.forTenant(newId());
  parks = [];
  for (let i = 0; i < 20; i += 1) {
    const park = await createPark(tenant, { name: `Park ${i}`, capacity: i });
    parks.push(park);
    for (let j = 0; j < 2; j += 1) {
      await createReservation(tenant, {
        parkId: toGlobalId('Park', park._id),
        visitorName: `Visitor ${i}.${j}`,
        visitorEmail: `v${i}.${j}@example.com`,
        partySize: 2,
        date: '2026-07-01',
      });
    }
  }
});
afterAll(async () => {
  await fixture?.close();
});

describe('parks with their reservations', () => {
  it('costs a constant number of round trips for 20 parks', async () => {
    fixture.commands.length = 0;
    const result = await run(`{
      parks(first: 20) {
        nodes { id name reservations(first: 5) { nodes { id park { id name } } pageInfo { hasNextPage } } }
        pageInfo { hasNextPage endCursor }
      }
    }`);
    expect(result.errors).toBeUndefined();
    expect(fixture.commands).toEqual(['find', 'aggregate']);
    const data = result.data as {
      parks: { nodes: Array<{ id: string; reservations: { nodes: Array<{ park: { id: string } }> } }> };
    };
    expect(data.parks.nodes).toHaveLength(20);
    for (const park of data.parks.nodes) {
      expect(park.reservations.nodes).toHaveLength(2);
      expect(park.reservations.nodes.every((reservation) => reservation.park.id === park.id)).toBe(true);
    }
  });

  it('refuses a negative first on a nested connection', async () => {
    const result = await run('{ parks(first: 1) { nodes { reservations(first: -1) { nodes { id } } } } }');
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });
});

describe('ids', () => {
  it("answers null for garbage, another type's id and another tenant's park", async () => {
    const [own] = parks as [ParkDocument];
    const foreign = await createPark(fixture.tenantB, { name: 'Foreign' });
    const result = await run(
      `query ($a: ID!, $b: ID!, $c: ID!, $d: ID!) {
        a: park(id: $a) { name } b: park(id: $b) { name } c: park(id: $c) { name } d: park(id: $d) { name }
      }`,
      {
        a: 'garbage',
        b: toGlobalId('Reservation', own._id),
        c: toGlobalId('Park', foreign._id),
        d: toGlobalId('Park', own._id),
      },
    );
    expect(result).toEqual({ data: { a: null, b: null, c: null, d: { name: 'Park 0' } } });
  });

  it("answers NOT_FOUND to mutations on another tenant's park", async () => {
    const foreign = await createPark(fixture.tenantB, { name: 'Foreign' });
    const result = await run('mutation ($id: ID!) { deletePark(id: $id) }', { id: toGlobalId('Park', foreign._id) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('_entities', () => {
  const query = `query ($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Park { name } ... on Reservation { visitorName } }
  }`;

  it("resolves the tenant's parks and reservations, and null for anything else", async () => {
    const [own] = parks as [ParkDocument];
    const foreign = await createPark(fixture.tenantB, { name: 'Foreign' });
    const reservations = await run(`{ reservations(first: 1) { nodes { id } } }`);
    const reservationId = (reservations.data as { reservations: { nodes: Array<{ id: string }> } }).reservations
      .nodes[0]?.id;
    const result = await run(query, {
      representations: [
        { __typename: 'Park', id: toGlobalId('Park', own._id) },
        { __typename: 'Park', id: toGlobalId('Park', foreign._id) },
        { __typename: 'Reservation', id: reservationId },
        { __typename: 'Reservation', id: toGlobalId('Park', own._id) },
      ],
    });
    expect(result).toEqual({
      data: { _entities: [{ name: 'Park 0' }, null, { visitorName: 'Visitor 0.0' }, null] },
    });
  });

  it('answers null, without a query, to a key that is not a plain string', async () => {
    fixture.commands.length = 0;
    const result = await run(query, {
      representations: [
        { __typename: 'Park', id: { $ne: null } },
        { __typename: 'Park', id: 42 },
        { __typename: 'Park', id: [toGlobalId('Park', parks[0]?._id ?? '')] },
        { __typename: 'Reservation', id: { $gt: '' } },
      ],
    });
    expect(result).toEqual({ data: { _entities: [null, null, null, null] } });
    expect(fixture.commands).toEqual([]);
  });
});

describe('mutations', () => {
  it('create a reservation whose park reads back in the same operation', async () => {
    const [own] = parks as [ParkDocument];
    const result = await run(
      `mutation ($input: CreateReservationInput!) {
        createReservation(input: $input) { status date partySize park { name } }
      }`,
      {
        input: {
          parkId: toGlobalId('Park', own._id),
          visitorName: 'Ana',
          visitorEmail: 'ana@example.com',
          partySize: 3,
          date: '2026-09-09',
        },
      },
    );
    expect(result).toEqual({
      data: { createReservation: { status: 'CONFIRMED', date: '2026-09-09', partySize: 3, park: { name: 'Park 0' } } },
    });
  });

  it('refuses a date that is no calendar date as a variable', async () => {
    const result = await run('query ($from: Date) { reservationStats(groupBy: MONTH, from: $from) { key } }', {
      from: '2026-02-30',
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('update and delete a park through its global id', async () => {
    const created = await run('mutation { createPark(input: { name: "Temp" }) { id name region capacity } }');
    const id = (created.data as { createPark: { id: string } }).createPark.id;
    const updated = await run(
      'mutation ($id: ID!) { updatePark(id: $id, input: { capacity: 7 }) { id name capacity } }',
      { id },
    );
    expect(updated).toEqual({ data: { updatePark: { id, name: 'Temp', capacity: 7 } } });
    const deleted = await run('mutation ($id: ID!) { deletePark(id: $id) }', { id });
    expect(deleted).toEqual({ data: { deletePark: id } });
    expect(await run('query ($id: ID!) { park(id: $id) { id } }', { id })).toEqual({ data: { park: null } });
  });

  it('refuse every tenant read and write of a caller without a tenant', async () => {
    const result = await run(
      'query ($id: ID!) { park(id: $id) { id } }',
      { id: toGlobalId('Park', parks[0]?._id ?? '') },
      null,
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    const listed = await run('{ parks { nodes { id } } }', undefined, null);
    expect(listed.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/*
 * `_entities` asked of the subgraph directly, as a gateway asks it (and as anyone who reaches the
 * subgraph can): every representation is resolved within the caller's tenant, so another tenant's
 * Tenant, Park and Reservation come back null, in place, next to the caller's own.
 */
let server: TestServer;
interface Ids {
  tenant: string;
  park: string;
  reservation: string;
}
let texas: Ids;
let washington: Ids;

const IDS = `{ viewer { tenant { id } } parks(first: 1) { nodes { id } } reservations(first: 1) { nodes { id } } }`;
const ENTITIES = `query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    __typename
    ... on Tenant { id slug name }
    ... on Park { id name }
    ... on Reservation { id visitorName park { id } }
  }
}`;

async function idsOf(email: string): Promise<Ids> {
  const response = await server.as<{
    viewer: { tenant: { id: string } };
    parks: { nodes: Array<{ id: string }> };
    reservations: { nodes: Array<{ id: string }> };
  }>(email, IDS);
  const data = response.data!;
  return { tenant: data.viewer.tenant.id, park: data.parks.nodes[0]!.id, reservation: data.reservations.nodes[0]!.id };
}

const representations = (ids: Ids) => [
  { __typename: 'Tenant', id: ids.tenant },
  { __typename: 'Park', id: ids.park },
  { __typename: 'Reservation', id: ids.reservation },
];

beforeAll(async () => {
  server = await startTestServer();
  texas = await idsOf('alice@example.com');
  washington = await idsOf('bob@example.com');
});
afterAll(() => server?.stop());

const asAliceInTexas = (reps: unknown[]) =>
  server.as('alice@example.com', ENTITIES, { tenant: 'texas', variables: { reps } });

describe('_entities, direct to the subgraph', () => {
  it('resolves the caller’s own Tenant, Park and Reservation', async () => {
    const response = await asAliceInTexas(representations(texas));
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      _entities: [
        { __typename: 'Tenant', id: texas.tenant, slug: 'texas', name: expect.any(String) },
        { __typename: 'Park', id: texas.park, name: expect.any(String) },
        {
          __typename: 'Reservation',
          id: texas.reservation,
          visitorName: expect.any(String),
          park: { id: expect.any(String) },
        },
      ],
    });
  });

  it('another tenant’s Tenant, Park and Reservation are null, in place, with no error', async () => {
    const mixed = representations(washington).flatMap((foreign, i) => [foreign, representations(texas)[i]!]);
    const response = await asAliceInTexas(mixed);
    expect(response.errors).toBeUndefined();
    const entities = (response.data as { _entities: Array<{ id: string } | null> })._entities;
    expect(entities.map((entity) => entity?.id ?? null)).toEqual([
      null,
      texas.tenant,
      null,
      texas.park,
      null,
      texas.reservation,
    ]);
  });

  it('the same ids resolve for their own tenant (so the nulls above are the tenant scope, not bad ids)', async () => {
    const response = await server.as('bob@example.com', ENTITIES, { variables: { reps: representations(washington) } });
    const entities = (response.data as { _entities: Array<{ id: string } | null> })._entities;
    expect(entities.map((entity) => entity?.id)).toEqual([washington.tenant, washington.park, washington.reservation]);
  });

  it('a member of both tenants sees each tenant’s entities only in that tenant (alice in washington)', async () => {
    const response = await server.as('alice@example.com', ENTITIES, {
      tenant: 'washington',
      variables: { reps: [...representations(texas), ...representations(washington)] },
    });
    const entities = (response.data as { _entities: Array<{ id: string } | null> })._entities;
    expect(entities.map((entity) => entity?.id ?? null)).toEqual([
      null,
      null,
      null,
      washington.tenant,
      washington.park,
      washington.reservation,
    ]);
  });

  it.each([
    ['a number', () => 42],
    ['an object', () => ({ $ne: null })],
    ['an array', () => [texas.park]],
    ['missing', () => undefined],
    ['a raw database id', () => Buffer.from(texas.park, 'base64url').toString().split(':')[1]],
  ])('a key that is %s resolves nothing', async (_name, key) => {
    const id = key();
    const response = await asAliceInTexas([
      { __typename: 'Park', id },
      { __typename: 'Reservation', id },
    ]);
    expect(response.data?._entities ?? [null, null]).toEqual([null, null]);
  });

  it('needs credentials: none gets UNAUTHENTICATED', async () => {
    const response = await server.gql(ENTITIES, { variables: { reps: representations(texas) } });
    expect(response.status).toBe(401);
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(response.data ?? null).toBeNull();
  });
});

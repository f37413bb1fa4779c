import { isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolationFixtures } from '../../src/modules/application.js';
import { buildSchema } from '../../src/server/schema.js';
import { codes, startTestServer, type TestServer } from '../support/server.js';

/**
 * The cross-tenant matrix, built from the modules' isolation fixtures (their `isolation`, see
 * src/modules/module.ts): alice is ADMIN of texas (and only a VIEWER of washington); every query,
 * mutation and `_entities` call she makes in texas with washington's ids must answer exactly as for
 * a missing object, reveal nothing of it and change nothing in washington.
 */
let server: TestServer;
/** One of washington's objects per entity type, by type name. */
const foreign = new Map<string, string>();
let snapshot: unknown;

const SNAPSHOT = `{ ${isolationFixtures
  .map(({ list }) => `${list.field}(first: 100) { nodes { ${list.selection} } }`)
  .join(' ')} }`;

const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ${isolationFixtures
  .map(({ typename }) => `... on ${typename} { id }`)
  .join(' ')} } }`;

const MUTATIONS = isolationFixtures.flatMap((fixture) =>
  fixture.mutations.map((mutation) => ({ ...mutation, idOf: mutation.idOf ?? fixture.typename })),
);

const INJECTIONS = [
  { $ne: null },
  { $gt: '' },
  { $where: 'true' },
  { $expr: { $eq: [1, 1] } },
  { $or: [{ tenantId: { $exists: true } }] },
];

const asAliceInTexas = (query: string, variables?: Record<string, unknown>) =>
  server.as('alice@example.com', query, { variables, tenant: 'texas' });

const foreignId = (typename: string): string => {
  const id = foreign.get(typename);
  if (id === undefined) throw new Error(`washington has no ${typename} to attack`);
  return id;
};

const byIdQuery = (field: string) => `query($id: ID!) { ${field}(id: $id) { id } }`;

beforeAll(async () => {
  server = await startTestServer();
  const bob = await server.as<Record<string, { nodes: Array<{ id: string }> }>>('bob@example.com', SNAPSHOT);
  expect(bob.errors).toBeUndefined();
  for (const { typename, list } of isolationFixtures) {
    const first = bob.data?.[list.field]?.nodes[0];
    if (first) foreign.set(typename, first.id);
  }
  snapshot = bob.data;
});

afterAll(() => server?.stop());

async function expectWashingtonUnchanged() {
  const after = await server.as('bob@example.com', SNAPSHOT);
  expect(after.data).toEqual(snapshot);
}

describe('the matrix', () => {
  it('covers every entity of the subgraph but Tenant (which resolves the active tenant only)', () => {
    const entities = Object.values(buildSchema().getTypeMap())
      .filter((type) => isObjectType(type) && type.astNode?.directives?.some((d) => d.name.value === 'key'))
      .map((type) => type.name)
      .filter((name) => name !== 'Tenant');
    expect(isolationFixtures.map((fixture) => fixture.typename).sort()).toEqual(entities.sort());
  });

  it('has an object of washington to attack for every entity', () => {
    for (const { typename } of isolationFixtures) expect(foreign.has(typename), typename).toBe(true);
  });
});

describe('reads', () => {
  it.each(isolationFixtures)('$byId(id:) of another tenant is null, like a missing one', async ({ typename, byId }) => {
    const response = await asAliceInTexas(byIdQuery(byId), { id: foreignId(typename) });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ [byId]: null });
  });

  it('lists never contain another tenant’s objects', async () => {
    const response = await asAliceInTexas(SNAPSHOT);
    const listed = JSON.stringify(response.data);
    for (const id of foreign.values()) expect(listed).not.toContain(id);
  });

  it('_entities with another tenant’s ids resolves them to null', async () => {
    const reps = isolationFixtures.map(({ typename }) => ({ __typename: typename, id: foreignId(typename) }));
    const response = await asAliceInTexas(ENTITIES, { reps });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ _entities: reps.map(() => null) });
  });
});

describe('writes', () => {
  it.each(MUTATIONS)(
    '$name with another tenant’s $idOf is $code, reveals nothing and changes nothing',
    async ({ document, code, idOf }) => {
      const id = foreignId(idOf);
      const response = await asAliceInTexas(document, { id });
      expect(codes(response)).toEqual([code]);
      expect(JSON.stringify(response.errors)).not.toContain(id);
      await expectWashingtonUnchanged();
    },
  );
});

describe('operator injection', () => {
  it.each(INJECTIONS)('_entities representation id %j is refused or literal, never a filter', async (id) => {
    const reps = isolationFixtures.map(({ typename }) => ({ __typename: typename, id }));
    const response = await asAliceInTexas(ENTITIES, { reps });
    expect(response.data?._entities ?? reps.map(() => null)).toEqual(reps.map(() => null));
  });

  it.each(isolationFixtures.flatMap(({ byId }) => INJECTIONS.map((id) => ({ byId, id }))))(
    'an ID argument $id of $byId is refused as input',
    async ({ byId, id }) => {
      const response = await asAliceInTexas(byIdQuery(byId), { id });
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.data ?? null).toBeNull();
    },
  );

  it.each(isolationFixtures)(
    'a string id that looks like an operator is just a missing $typename',
    async ({ byId }) => {
      const response = await asAliceInTexas(byIdQuery(byId), { id: '{"$ne":null}' });
      expect(response.data).toEqual({ [byId]: null });
    },
  );
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

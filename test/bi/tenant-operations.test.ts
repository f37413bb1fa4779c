import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { codesOf, createApiKey, persistedGet, persistedPost } from './support.js';

const ALICE = 'alice@example.com'; // texas admin
const ERIN = 'erin@example.com'; // texas analyst
const CAROL = 'carol@example.com'; // colorado admin, analyst
const BOB = 'bob@example.com'; // washington editor

const REGISTER = `mutation ($name: String!, $document: String!) {
  registerTrustedOperation(name: $name, document: $document) { id name body source createdAt }
}`;

interface Registered {
  registerTrustedOperation: { id: string; name: string; body: string; source: string; createdAt: string | null };
}

const PARK_NAMES = `
  # Only the names, for a wall display
  query ParkNames   { parks(first: 5) { nodes { name } } }
`;

let server: TestServer;
let texasKey: string;
let coloradoKey: string;
let parkNamesHash: string;

const register = (email: string, name: string, document: string, tenant?: string) =>
  server.as<Registered>(email, REGISTER, { variables: { name, document }, tenant });

beforeAll(async () => {
  server = await startTestServer();
  texasKey = await createApiKey(server, ALICE, { roles: ['ANALYST'] });
  coloradoKey = await createApiKey(server, CAROL, { roles: ['ANALYST'] });
  const registered = await register(ALICE, 'ParkNames', PARK_NAMES);
  expect(registered.errors).toBeUndefined();
  parkNamesHash = registered.data!.registerTrustedOperation.id;
});

afterAll(async () => {
  await server?.stop();
});

describe('registerTrustedOperation', () => {
  it('stores the document in normal form, its id the SHA-256 of that form', async () => {
    const listed = await server.as<{
      trustedOperations: Array<{ id: string; name: string; body: string; source: string }>;
    }>(ALICE, '{ trustedOperations { id name body source } }');
    const own = listed.data!.trustedOperations.find((operation) => operation.name === 'ParkNames');
    expect(own?.source).toBe('TENANT');
    expect(own?.body).toBe('query ParkNames {\n  parks(first: 5) {\n    nodes {\n      name\n    }\n  }\n}');
    expect(own?.id).toBe(createHash('sha256').update(own!.body).digest('hex'));
    expect(own?.id).toBe(parkNamesHash);
    expect(
      listed.data!.trustedOperations.filter((operation) => operation.source === 'REPOSITORY').map((o) => o.name),
    ).toEqual(['ParksWithCapacity', 'ReservationStatsByMonth', 'ReservationStatsByPark', 'ReservationsInRange']);
  });

  it.each([
    ['a mutation', 'Rename', 'mutation Rename { deletePark(id: "x") }'],
    ['a subscription', 'Events', 'subscription Events { exportEvents { id } }'],
    ['an anonymous query', 'Anon', '{ parks { nodes { id } } }'],
    ['two operations', 'One', 'query One { viewer { roles } } query Two { viewer { roles } }'],
    ['another name than its own', 'Wanted', 'query Other { viewer { roles } }'],
    ['a field the schema does not have', 'Bad', 'query Bad { parks { nodes { secret } } }'],
    ['a syntax error', 'Broken', 'query Broken { parks { '],
    [
      'a query deeper than the limit',
      'Deep',
      'query Deep { parks { nodes { reservations { nodes { park { reservations { nodes { park { name } } } } } } } } }',
    ],
    [
      'a query costlier than the limit',
      'Costly',
      'query Costly { parks(first: 100) { nodes { reservations(first: 100) { nodes { id date } } } } }',
    ],
    ['the name of a repository operation', 'ParksWithCapacity', 'query ParksWithCapacity { parks { nodes { id } } }'],
    ['a name already registered', 'ParkNames', 'query ParkNames { parks { nodes { id } } }'],
    [
      'a document already registered under another name',
      'ParkNames2',
      'query ParkNames { parks(first: 5) { nodes { name } } }',
    ],
  ])('refuses %s with BAD_USER_INPUT', async (_case, name, document) => {
    const response = await register(ALICE, name, document);
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.data).toBeNull();
  });

  it('is for ADMIN only; an analyst may list', async () => {
    const refused = await register(ERIN, 'ErinsOwn', 'query ErinsOwn { parks { nodes { id } } }');
    expect(codesOf(refused)).toEqual(['FORBIDDEN']);
    const listed = await server.as(ERIN, '{ trustedOperations { name } }');
    expect(listed.errors).toBeUndefined();
  });
});

describe('a tenant’s own trusted operation', () => {
  it('runs by its hash in its tenant, for a user and for an analyst-only key, over GET and POST', async () => {
    const byKey = await persistedGet<{ parks: { nodes: Array<{ name: string }> } }>(server, parkNamesHash, {
      auth: texasKey,
    });
    expect(byKey.errors).toBeUndefined();
    expect(byKey.data!.parks.nodes.length).toBeGreaterThan(0);
    const byUser = await persistedPost(server, parkNamesHash, { auth: await server.token(ALICE) });
    expect(byUser.errors).toBeUndefined();
    expect(byUser.data).toEqual(byKey.data);
  });

  it('is PERSISTED_QUERY_NOT_FOUND in another tenant, for a key and for a user, and not listed there', async () => {
    expect(codesOf(await persistedGet(server, parkNamesHash, { auth: coloradoKey }))).toEqual([
      'PERSISTED_QUERY_NOT_FOUND',
    ]);
    expect(codesOf(await persistedGet(server, parkNamesHash, { auth: await server.token(BOB) }))).toEqual([
      'PERSISTED_QUERY_NOT_FOUND',
    ]);
    // alice herself, acting in washington, where the operation was never registered
    const elsewhere = await persistedGet(server, parkNamesHash, {
      auth: await server.token(ALICE),
      headers: { 'x-tenant-id': 'washington' },
    });
    expect(codesOf(elsewhere)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const listed = await server.as<{ trustedOperations: Array<{ name: string }> }>(
      CAROL,
      '{ trustedOperations { name } }',
    );
    expect(listed.data!.trustedOperations.map((operation) => operation.name)).not.toContain('ParkNames');
  });

  it('can be the operation a key is limited to, in its tenant only', async () => {
    const limited = await createApiKey(server, ALICE, { roles: ['ANALYST'], operations: ['ParkNames'] });
    expect((await persistedGet(server, parkNamesHash, { auth: limited })).errors).toBeUndefined();
    const refused = await server.as(
      CAROL,
      'mutation { createApiKey(input: { name: "x", roles: [ANALYST], operations: ["ParkNames"] }) { secret } }',
    );
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
  });

  it('is removed by an admin and then runs nowhere', async () => {
    const registered = await register(ALICE, 'Regions', 'query Regions { parks { nodes { region } } }');
    const hash = registered.data!.registerTrustedOperation.id;
    expect((await persistedGet(server, hash, { auth: texasKey })).errors).toBeUndefined();

    expect(codesOf(await server.as(ERIN, 'mutation { removeTrustedOperation(name: "Regions") { name } }'))).toEqual([
      'FORBIDDEN',
    ]);
    const removed = await server.as<{ removeTrustedOperation: { name: string; id: string } }>(
      ALICE,
      'mutation { removeTrustedOperation(name: "Regions") { name id } }',
    );
    expect(removed.data?.removeTrustedOperation).toEqual({ name: 'Regions', id: hash });
    expect(codesOf(await persistedGet(server, hash, { auth: texasKey }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(codesOf(await server.as(ALICE, 'mutation { removeTrustedOperation(name: "Regions") { name } }'))).toEqual([
      'NOT_FOUND',
    ]);
    // The repository's cannot be removed by a tenant.
    expect(
      codesOf(await server.as(ALICE, 'mutation { removeTrustedOperation(name: "ParksWithCapacity") { name } }')),
    ).toEqual(['NOT_FOUND']);
    // Another tenant's cannot be removed either: it does not exist there.
    expect(codesOf(await server.as(CAROL, 'mutation { removeTrustedOperation(name: "ParkNames") { name } }'))).toEqual([
      'NOT_FOUND',
    ]);
  });
});

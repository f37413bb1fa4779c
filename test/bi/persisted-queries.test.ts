import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCode, runOnce, wsClient, wsUrl } from '../support/graphql-ws.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { codesOf, createApiKey, createPark, hashOf, manifest, persistedGet, persistedPost } from './support.js';

const ALICE = 'alice@example.com'; // texas admin
const ERIN = 'erin@example.com'; // texas analyst
const DAVE = 'dave@example.com'; // texas viewer

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type Parks = {
  parks: { nodes: Array<{ id: string; name: string; capacity: number | null }>; pageInfo: { hasNextPage: boolean } };
};
type Stats = { reservationStats: Array<{ key: string; reservations: number; visitors: number }> };

let server: TestServer;
let alice: string;
let analystKey: string;

beforeAll(async () => {
  server = await startTestServer({ BI_CACHE_MAX_AGE_SECONDS: '42' });
  alice = await server.token(ALICE);
  analystKey = await createApiKey(server, ALICE, { roles: ['ANALYST'], name: 'power bi' });
});

afterAll(async () => {
  await server?.stop();
});

describe('trusted operations of the repository, by hash', () => {
  it('runs over GET, with variables in the query string', async () => {
    const response = await persistedGet<Parks>(server, hashOf('ParksWithCapacity'), {
      auth: alice,
      variables: { first: 2 },
    });
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data?.parks.nodes).toHaveLength(2);
    expect(response.data?.parks.pageInfo.hasNextPage).toBe(true);
  });

  it('runs over POST, with operationName', async () => {
    const response = await persistedPost<Stats>(server, hashOf('ReservationStatsByMonth'), {
      auth: await server.token(ERIN),
      operationName: 'ReservationStatsByMonth',
    });
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data?.reservationStats.length).toBeGreaterThan(0);
    for (const stat of response.data?.reservationStats ?? []) expect(stat.key).toMatch(/^\d{4}-\d{2}$/);
  });

  it('runs when the document is sent along with its own hash', async () => {
    const { body } = manifest.operations.find((op) => op.name === 'ReservationStatsByPark')!;
    const response = await persistedPost<Stats>(server, sha256(body), { auth: analystKey, query: body });
    expect(response.errors).toBeUndefined();
    expect(response.data?.reservationStats.length).toBeGreaterThan(0);
  });

  it('answers an unknown hash PERSISTED_QUERY_NOT_FOUND, for a user and for a BI key', async () => {
    const unknown = sha256('query Unknown { viewer { roles } }');
    for (const auth of [alice, analystKey]) {
      const response = await persistedGet(server, unknown, { auth });
      expect(codesOf(response)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect(response.data).toBeUndefined();
    }
  });

  it('refuses a hash that does not match the document sent with it', async () => {
    const response = await persistedPost(server, hashOf('ParksWithCapacity'), {
      auth: alice,
      query: '{ parks { nodes { id name } } }',
    });
    expect(response.status).toBe(400);
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.data).toBeUndefined();
  });

  it('refuses an operationName that is not the persisted operation’s', async () => {
    const response = await persistedGet(server, hashOf('ParksWithCapacity'), { auth: alice, operationName: 'Other' });
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('is a BI right: a VIEWER (contract section 3) gets FORBIDDEN', async () => {
    const response = await persistedGet(server, hashOf('ParksWithCapacity'), { auth: await server.token(DAVE) });
    expect(response.status).toBe(403);
    expect(codesOf(response)).toEqual(['FORBIDDEN']);
  });
});

describe('an API key whose only role is ANALYST runs trusted operations only', () => {
  it('is refused an arbitrary query with PERSISTED_QUERY_REQUIRED, over POST and GET', async () => {
    const posted = await server.gql('{ parks { nodes { id name } } }', { auth: analystKey });
    expect(posted.status).toBe(400);
    expect(codesOf(posted)).toEqual(['PERSISTED_QUERY_REQUIRED']);
    expect(posted.data).toBeUndefined();
    const got = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ viewer { roles } }')}`, {
      headers: { 'x-api-key': analystKey },
    });
    expect(got.status).toBe(400);
    expect(((await got.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe(
      'PERSISTED_QUERY_REQUIRED',
    );
  });

  it('is refused before the document is parsed or validated', async () => {
    // Not even GraphQL: a parser would answer a syntax error, a validator an unknown field.
    for (const query of ['{ this is not graphql', '{ noSuchField }']) {
      const response = await server.gql(query, { auth: analystKey });
      expect(codesOf(response)).toEqual(['PERSISTED_QUERY_REQUIRED']);
      expect(response.errors?.[0]?.message).not.toMatch(/Syntax|Cannot query/);
    }
  });

  it('cannot register its own document as an automatic persisted query', async () => {
    const query = '{ parks { nodes { id name } } }';
    const registering = await persistedPost(server, sha256(query), { auth: analystKey, query });
    expect(codesOf(registering)).toEqual(['PERSISTED_QUERY_REQUIRED']);
    const byHash = await persistedPost(server, sha256(query), { auth: analystKey });
    expect(codesOf(byHash)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('is served a trusted operation', async () => {
    const response = await persistedGet<Parks>(server, hashOf('ParksWithCapacity'), { auth: analystKey });
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data?.parks.nodes.length).toBeGreaterThanOrEqual(3);
  });

  it('does not reach documents front-ends registered as automatic persisted queries', async () => {
    const query = '{ parks(first: 1) { nodes { name } } }';
    const hash = sha256(query);
    // A front-end (alice): miss, register, then hit by hash alone, as Apollo Client does.
    expect(codesOf(await persistedPost(server, hash, { auth: alice }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const registered = await persistedPost<Parks>(server, hash, { auth: alice, query });
    expect(registered.errors).toBeUndefined();
    const hit = await persistedGet<Parks>(server, hash, { auth: alice });
    expect(hit.errors).toBeUndefined();
    expect(hit.data?.parks.nodes).toHaveLength(1);
    // The BI key is not served it: only trusted operations are.
    expect(codesOf(await persistedGet(server, hash, { auth: analystKey }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('cannot send documents over WebSocket either: the connection is refused with 4403', async () => {
    const refused = wsClient(wsUrl(server.url), { connectionParams: { 'x-api-key': analystKey } });
    const outcome = await runOnce(refused.client, { query: '{ parks { nodes { id name } } }' });
    expect(outcome.result).toBeUndefined();
    expect(closeCode(outcome.error)).toBe(4403);
    await refused.client.dispose();
    // The same query from a key that may send documents is served, so the refusal is the safelist's.
    const viewerKey = await createApiKey(server, ALICE, { roles: ['VIEWER'] });
    const served = wsClient(wsUrl(server.url), { connectionParams: { 'x-api-key': viewerKey } });
    const answer = await runOnce(served.client, { query: '{ parks { nodes { id } } }' });
    expect(answer.result?.errors).toBeUndefined();
    await served.client.dispose();
  });

  it('leaves users with the ANALYST role free to send documents (the safelist is per credential)', async () => {
    const response = await server.as(ERIN, '{ parks { nodes { id } } }');
    expect(response.errors).toBeUndefined();
  });
});

describe('an API key limited to named operations', () => {
  it('runs those and is refused every other, trusted or not, whatever its roles', async () => {
    const key = await createApiKey(server, ALICE, {
      roles: ['VIEWER', 'ANALYST'],
      operations: ['ReservationStatsByMonth'],
    });
    const allowed = await persistedGet<Stats>(server, hashOf('ReservationStatsByMonth'), { auth: key });
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data?.reservationStats.length).toBeGreaterThan(0);

    const other = await persistedGet(server, hashOf('ReservationStatsByPark'), { auth: key });
    expect(other.status).toBe(403);
    expect(codesOf(other)).toEqual(['FORBIDDEN']);
    expect(other.data).toBeUndefined();

    const arbitrary = await server.gql('{ parks { nodes { id } } }', { auth: key });
    expect(codesOf(arbitrary)).toEqual(['PERSISTED_QUERY_REQUIRED']);
  });

  it('shows its list on ApiKey.operations, and cannot be limited to an operation that does not exist', async () => {
    const listed = await server.as<{ apiKeys: Array<{ name: string; operations: string[] | null }> }>(
      ALICE,
      '{ apiKeys { name operations } }',
    );
    expect(listed.data?.apiKeys.some((key) => key.operations?.join() === 'ReservationStatsByMonth')).toBe(true);
    const refused = await server.as(
      ALICE,
      'mutation { createApiKey(input: { name: "typo", roles: [ANALYST], operations: ["ParksWithCapacty"] }) { secret } }',
    );
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('caching of GET answers of trusted operations', () => {
  const hash = () => hashOf('ParksWithCapacity');

  it('is private to the caller, for BI_CACHE_MAX_AGE_SECONDS, with an ETag and Vary on the credentials', async () => {
    const response = await persistedGet(server, hash(), { auth: alice });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, max-age=42');
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    expect(response.headers.get('vary')).toBe('Authorization, X-API-Key, X-Tenant-ID');
  });

  it('answers If-None-Match with 304 and no body, and a changed result with a new ETag', async () => {
    const first = await persistedGet(server, hash(), { auth: alice });
    const etag = first.headers.get('etag')!;
    const again = await persistedGet(server, hash(), { auth: alice, headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');

    await createPark(server, ALICE, { name: 'Etag Changer State Park', capacity: 10 });
    const changed = await persistedGet(server, hash(), {
      auth: alice,
      variables: {},
      headers: { 'if-none-match': etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('never validates one credential’s copy for another, even with the same rows', async () => {
    const asAlice = await persistedGet(server, hash(), { auth: alice });
    const asErin = await persistedGet(server, hash(), { auth: await server.token(ERIN) });
    expect(asErin.data).toEqual(asAlice.data);
    expect(asErin.headers.get('etag')).not.toBe(asAlice.headers.get('etag'));
    const cross = await persistedGet(server, hash(), {
      auth: await server.token(ERIN),
      headers: { 'if-none-match': asAlice.headers.get('etag')! },
    });
    expect(cross.status).toBe(200);
  });

  it('never across tenants: the same user in another tenant gets nothing cacheable', async () => {
    const inTexas = await persistedGet(server, hash(), { auth: alice });
    const inWashington = await persistedGet(server, hash(), { auth: alice, headers: { 'x-tenant-id': 'washington' } });
    // alice is a washington VIEWER: no BI there, and nothing cached for her there either.
    expect(codesOf(inWashington)).toEqual(['FORBIDDEN']);
    expect(inWashington.headers.get('etag')).toBeNull();
    expect(inTexas.headers.get('etag')).not.toBeNull();
  });

  it('does not mark POST answers or errors cacheable', async () => {
    const posted = await persistedPost(server, hash(), { auth: alice });
    expect(posted.headers.get('etag')).toBeNull();
    expect(posted.headers.get('cache-control')).not.toMatch(/max-age=42/);
    const refused = await persistedGet(server, hash(), { auth: await server.token(DAVE) });
    expect(refused.headers.get('cache-control')).not.toMatch(/max-age/);
  });
});

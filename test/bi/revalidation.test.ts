import { beforeAll, describe, expect, it } from 'vitest';
import { seedId } from '../../src/seed/seed.js';
import { until } from '../support/wait.js';
import { makeTexasMember, WITHIN_MS } from '../lifecycle/support.js';
import { twoInstances, type TestServer } from '../support/server.js';
import { createPark, hashOf, persistedGet } from './support.js';

/**
 * Revalidation of persisted GETs without running them (src/server/plugins/revalidation.ts), tried by
 * what must make it answer 200: a committed change in the tenant on any instance, a change of the
 * caller's roles, another caller, other variables, data that export events do not version.
 */
const ALICE = 'alice@example.com'; // texas admin
const ERIN = 'erin@example.com'; // texas analyst
const CACHE_TTL = { MEMBERSHIP_CACHE_TTL_MS: '60000' };

const instances = twoInstances(CACHE_TTL);
let a: TestServer;
let b: TestServer;
let alice: string;
beforeAll(async () => {
  ({ a, b } = instances);
  alice = await a.token(ALICE);
});

const parks = () => hashOf('ParksWithCapacity');

/** The ETag of a first GET, and a function that revalidates it on `server` with the same call. */
async function cached(server: TestServer, auth: string, variables?: Record<string, unknown>) {
  const first = await persistedGet(server, parks(), { auth, variables });
  expect(first.status).toBe(200);
  const etag = first.headers.get('etag')!;
  expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
  const revalidate = (on: TestServer = server, as: string = auth) =>
    persistedGet(on, parks(), { auth: as, variables, headers: { 'if-none-match': etag } });
  return { etag, revalidate };
}

describe('a persisted GET revalidated by its data version', () => {
  it('answers 304 without running: a change made behind the API, with no event, is not seen', async () => {
    const { etag, revalidate } = await cached(a, alice);
    const stored = a.app.services.database.forTenant(seedId('tenant:texas')).collection<{ _id: string }>('parks');
    const [one] = await stored.find({});
    await stored.updateOne({ _id: one!._id }, { $set: { region: 'Not Through The API' } });
    const again = await revalidate();
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toBe('private, max-age=60');
    // Without If-None-Match it runs, and shows what is stored (its ETag is still the version's).
    const full = await persistedGet(a, parks(), { auth: alice });
    expect(full.status).toBe(200);
    expect(full.text).toContain('Not Through The API');
  });

  it('never answers 304 after a committed change in the tenant, on this instance', async () => {
    const { revalidate } = await cached(a, alice);
    expect((await revalidate()).status).toBe(304);
    await createPark(a, ALICE, { name: 'Revalidation One' });
    const changed = await revalidate();
    expect(changed.status).toBe(200);
    expect(JSON.stringify(changed.data)).toContain('Revalidation One');
  });

  it('never answers 304 after a change committed by another instance, at once', async () => {
    const { revalidate } = await cached(b, alice);
    expect((await revalidate()).status).toBe(304);
    await createPark(a, ALICE, { name: 'Revalidation Elsewhere' });
    const changed = await revalidate();
    expect(changed.status).toBe(200);
    expect(JSON.stringify(changed.data)).toContain('Revalidation Elsewhere');
  });

  it('a change in another tenant leaves the copy valid', async () => {
    const { revalidate } = await cached(a, alice);
    await createPark(a, 'bob@example.com', { name: 'Washington Only' });
    expect((await revalidate()).status).toBe(304);
  });

  it('never validates another caller’s copy, nor the same call with other variables', async () => {
    const { revalidate } = await cached(a, alice, { first: 2 });
    expect((await revalidate()).status).toBe(304);
    expect((await revalidate(a, await a.token(ERIN))).status).toBe(200);
    const other = await persistedGet(a, parks(), {
      auth: alice,
      variables: { first: 3 },
      headers: { 'if-none-match': (await cached(a, alice, { first: 2 })).etag },
    });
    expect(other.status).toBe(200);
  });

  it('never answers 304 after the caller lost a role: at once here, within a second on another instance', async () => {
    await makeTexasMember(a, ERIN, ['ANALYST', 'EDITOR']);
    const erin = await a.token(ERIN);
    await until(async () => (await persistedGet(b, parks(), { auth: erin })).status === 200, 'erin on b');
    const here = await cached(a, erin);
    const there = await cached(b, erin);
    expect((await here.revalidate()).status).toBe(304);
    expect((await there.revalidate()).status).toBe(304);
    const set = await a.as(ALICE, 'mutation { setMemberRoles(email: "erin@example.com", roles: [ANALYST]) { roles } }');
    expect(set.errors).toBeUndefined();
    const changed = Date.now();
    expect((await here.revalidate()).status).toBe(200);
    await until(async () => (await there.revalidate()).status === 200, 'the new roles on b', WITHIN_MS);
    expect(Date.now() - changed).toBeLessThan(WITHIN_MS);
  });
});

describe('a persisted GET that reads data no export event versions', () => {
  it('runs, and is revalidated by its answer', async () => {
    const registered = await a.as<{ registerTrustedOperation: { id: string } }>(
      ALICE,
      'mutation ($document: String!) { registerTrustedOperation(name: "OperationNames", document: $document) { id } }',
      { variables: { document: 'query OperationNames { trustedOperations { name } }' } },
    );
    expect(registered.errors).toBeUndefined();
    const hash = registered.data!.registerTrustedOperation.id;
    const first = await persistedGet(a, hash, { auth: alice });
    const etag = first.headers.get('etag')!;
    const revalidate = () => persistedGet(a, hash, { auth: alice, headers: { 'if-none-match': etag } });
    expect((await revalidate()).status).toBe(304);
    // Registering an operation records no export event: only running the query can tell.
    const another = await a.as(
      ALICE,
      'mutation { registerTrustedOperation(name: "Another", document: "query Another { parks { nodes { id } } }") { id } }',
    );
    expect(another.errors).toBeUndefined();
    const changed = await revalidate();
    expect(changed.status).toBe(200);
    expect(JSON.stringify(changed.data)).toContain('Another');
  });
});

describe('every other answer', () => {
  it('is marked uncacheable: a POST, a plain GET, an error', async () => {
    const posted = await a.gql('{ parks(first: 1) { nodes { id } } }', { auth: alice });
    expect(posted.status).toBe(200);
    expect(posted.headers.get('cache-control')).toBe('no-store');
    const plainGet = await fetch(`${a.url}/graphql?query=${encodeURIComponent('{ viewer { roles } }')}`, {
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(plainGet.status).toBe(200);
    expect(plainGet.headers.get('cache-control')).toBe('no-store');
    const refused = await a.gql('{ apiKeys { id } }', { auth: await a.token(ERIN) });
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });
});

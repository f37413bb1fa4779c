import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/wait.js';
import { makeTexasMember, WITHIN_MS } from '../lifecycle/support.js';
import { codes, twoInstances, type TestServer } from '../support/server.js';

/**
 * The verified-scope cache (src/auth/verified-scopes.ts) tried as an attacker would: a cached
 * credential must stop working exactly when the uncached one would, on every instance. The identity
 * caches keep their 60 s TTL here, so only the identity change feed can explain a refusal in time.
 */
const CACHE_TTL = { MEMBERSHIP_CACHE_TTL_MS: '60000' };
/** jose's clock tolerance for `exp` in src/auth/jwt-verifier.ts. */
const CLOCK_TOLERANCE_MS = 5_000;
const VIEWER = '{ viewer { roles tenant { slug } } }';

const instances = twoInstances(CACHE_TTL);
let a: TestServer;
let b: TestServer;
beforeAll(() => {
  ({ a, b } = instances);
});

const sleepUntil = (epochMs: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));

const rolesOf = async (server: TestServer, auth: string) => {
  const response = await server.gql<{ viewer: { roles: string[] } }>(VIEWER, { auth });
  return response.errors ? codes(response) : response.data!.viewer.roles;
};

async function createKey(roles: string[]): Promise<{ secret: string; id: string }> {
  const response = await a.gql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
    'mutation ($roles: [Role!]!) { createApiKey(input: { name: "cached", roles: $roles }) { secret apiKey { id } } }',
    { variables: { roles }, auth: await a.token('alice@example.com') },
  );
  expect(response.errors).toBeUndefined();
  return { secret: response.data!.createApiKey.secret, id: response.data!.createApiKey.apiKey.id };
}

const setRoles = async (email: string, roles: string[]) => {
  const response = await a.gql(
    'mutation ($email: String!, $roles: [Role!]!) { setMemberRoles(email: $email, roles: $roles) { roles } }',
    { variables: { email, roles }, auth: await a.token('alice@example.com') },
  );
  expect(response.errors).toBeUndefined();
};

describe('a cached token', () => {
  it('is served from the cache once verified', async () => {
    const token = await b.token('erin@example.com');
    const before = b.app.services.verifiedScopes.size;
    expect(await rolesOf(b, token)).toEqual(['ANALYST']);
    expect(b.app.services.verifiedScopes.size).toBe(before + 1);
    expect(await rolesOf(b, token)).toEqual(['ANALYST']);
    expect(b.app.services.verifiedScopes.size).toBe(before + 1);
  });

  it('stops working when it expires, as an uncached one does', async () => {
    const token = await a.token('erin@example.com', { ttlSeconds: 1 });
    const exp = decodeJwt(token).exp! * 1000;
    expect(await rolesOf(a, token)).toEqual(['ANALYST']);
    await sleepUntil(exp + CLOCK_TOLERANCE_MS + 250);
    const refused = await a.gql(VIEWER, { auth: token });
    expect(refused.status).toBe(401);
    expect(codes(refused)).toEqual(['UNAUTHENTICATED']);
  }, 15_000);

  it('does not vouch for a token with the same claims and another signature', async () => {
    const token = await a.token('alice@example.com');
    expect(await rolesOf(a, token)).toEqual(['ADMIN']);
    const [header, payload, signature] = token.split('.');
    const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    const tampered = await a.gql(VIEWER, { auth: `${header}.${payload}.${flipped}` });
    expect(tampered.status).toBe(401);
    // Signed by another key under the issuer's kid: every claim is the cached token's.
    const { privateKey } = await generateKeyPair('ES256');
    const { kid } = JSON.parse(Buffer.from(header!, 'base64url').toString()) as { kid: string };
    const forged = await new SignJWT(decodeJwt(token)).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
    const refused = await a.gql(VIEWER, { auth: forged });
    expect(refused.status).toBe(401);
    expect(codes(refused)).toEqual(['UNAUTHENTICATED']);
  });

  it('loses a role on another instance within a second of the change', async () => {
    await setRoles('dave@example.com', ['EDITOR']);
    const token = await b.token('dave@example.com');
    await until(async () => (await rolesOf(b, token)).includes('EDITOR'), 'dave as EDITOR on b');
    const changed = Date.now();
    await setRoles('dave@example.com', ['VIEWER']);
    await until(async () => (await rolesOf(b, token)).join() === 'VIEWER', 'dave demoted on b', WITHIN_MS);
    expect(Date.now() - changed).toBeLessThan(WITHIN_MS);
  });

  it('loses a role on its own instance at once', async () => {
    await setRoles('dave@example.com', ['EDITOR']);
    const token = await a.token('dave@example.com');
    expect(await rolesOf(a, token)).toEqual(['EDITOR']);
    await setRoles('dave@example.com', ['VIEWER']);
    expect(await rolesOf(a, token)).toEqual(['VIEWER']);
  });

  it("stops working on another instance within a second of the user's membership removal", async () => {
    await setRoles('dave@example.com', ['VIEWER']);
    const token = await b.token('dave@example.com', { tenant: 'texas' });
    expect(await rolesOf(b, token)).toEqual(['VIEWER']);
    const changed = Date.now();
    await setRoles('dave@example.com', []);
    await until(async () => (await rolesOf(b, token)).join() === 'FORBIDDEN', 'dave refused on b', WITHIN_MS);
    expect(Date.now() - changed).toBeLessThan(WITHIN_MS);
    await makeTexasMember(a, 'dave@example.com', ['VIEWER']);
  });
});

describe('a cached API key', () => {
  it('stops working on another instance within a second of its revocation', async () => {
    const key = await createKey(['VIEWER']);
    expect(await rolesOf(b, key.secret)).toEqual(['VIEWER']);
    expect(await rolesOf(b, key.secret)).toEqual(['VIEWER']);
    const revoked = await a.gql('mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', {
      variables: { id: key.id },
      auth: await a.token('alice@example.com'),
    });
    expect(revoked.errors).toBeUndefined();
    const changed = Date.now();
    await until(async () => (await b.gql(VIEWER, { auth: key.secret })).status === 401, 'key refused on b', WITHIN_MS);
    expect(Date.now() - changed).toBeLessThan(WITHIN_MS);
    expect(await rolesOf(a, key.secret)).toEqual(['UNAUTHENTICATED']);
  });

  it("stops working on another instance within a second of its tenant's suspension", async () => {
    const key = await createKey(['VIEWER']);
    expect(await rolesOf(b, key.secret)).toEqual(['VIEWER']);
    const tenants = a.app.services.database.platform.collection('tenants');
    const changed = Date.now();
    await tenants.updateOne({ slug: 'texas' }, { $set: { suspendedAt: new Date() } });
    try {
      await until(
        async () => (await rolesOf(b, key.secret)).join() === 'TENANT_SUSPENDED',
        'texas suspended on b',
        WITHIN_MS,
      );
      expect(Date.now() - changed).toBeLessThan(WITHIN_MS);
    } finally {
      await tenants.updateOne({ slug: 'texas' }, { $unset: { suspendedAt: '' } });
    }
    await until(async () => (await rolesOf(b, key.secret)).join() === 'VIEWER', 'texas resumed on b');
  });
});

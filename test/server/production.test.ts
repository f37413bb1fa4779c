import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestServer, type TestServer } from '../support/server.js';
import { runOnce, wsClient } from '../support/graphql-ws.js';
import { expectNoLeak } from '../support/leaks.js';

/**
 * A server configured as in production: NODE_ENV=production and a real identity provider (a JWKS on
 * a loopback port standing in for it). Introspection is off unless INTROSPECTION says otherwise, and
 * the dev JWKS route does not exist.
 */
const ISSUER = 'https://idp.test.example/';
const AUDIENCE = 'tenantgraph-prod-test';
const KID = 'prod-test-key';

let idp: Server;
let signingKey: CryptoKey;
let production: TestServer;
let optedIn: TestServer;

const INTROSPECTION_QUERIES = [
  '{ __schema { queryType { name } } }',
  '{ __type(name: "Park") { fields { name } } }',
  '{ viewer { roles } __schema { types { name } } }',
];

async function idpToken(email: string) {
  return new SignJWT({ email })
    .setProtectedHeader({ alg: 'ES256', kid: KID })
    .setSubject(email)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(signingKey);
}

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  signingKey = privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: 'ES256', use: 'sig' }] });
  idp = createServer((req, res) => {
    if (req.url === '/jwks.json') res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  const env = {
    NODE_ENV: 'production',
    AUTH_JWKS_URL: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
  };
  [production, optedIn] = await Promise.all([startTestServer(env), startTestServer({ ...env, INTROSPECTION: 'true' })]);
});

afterAll(async () => {
  await Promise.all([production?.stop(), optedIn?.stop()]);
  await new Promise((resolve) => idp?.close(resolve));
});

describe('NODE_ENV=production, INTROSPECTION unset', () => {
  it('serves an ordinary query with the identity provider’s token', async () => {
    const response = await production.gql('{ __typename viewer { roles tenant { slug } } }', {
      auth: await idpToken('alice@example.com'),
    });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ __typename: 'Query', viewer: { roles: ['ADMIN'], tenant: { slug: 'texas' } } });
  });

  it('refuses introspection over WebSocket too', async () => {
    const { client } = wsClient(`${production.url.replace(/^http/, 'ws')}/graphql`, {
      connectionParams: { authorization: `Bearer ${await idpToken('alice@example.com')}` },
    });
    const outcome = await runOnce(client, { query: '{ __schema { types { name } } }' });
    await client.dispose();
    expect(JSON.stringify(outcome)).not.toContain('"types"');
    expect(JSON.stringify(outcome.error)).toContain('BAD_USER_INPUT');
  });

  it.each(INTROSPECTION_QUERIES)('refuses introspection with BAD_USER_INPUT: %s', async (query) => {
    const response = await production.gql(query, { auth: await idpToken('alice@example.com') });
    expect(response.status).toBe(400);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.data ?? null).toBeNull();
    expectNoLeak(response);
  });

  it('has no /.well-known/jwks.json (dev-issuer mode only)', async () => {
    const response = await fetch(`${production.url}/.well-known/jwks.json`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toMatch(/"keys"/);
  });

  it('does not accept the dev issuer’s tokens', async () => {
    const response = await production.gql('{ viewer { roles } }', {
      auth: await production.token('alice@example.com'),
    });
    expect(response.status).toBe(401);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('NODE_ENV=production, INTROSPECTION=true', () => {
  it.each(INTROSPECTION_QUERIES)('allows introspection: %s', async (query) => {
    const response = await optedIn.gql(query, { auth: await idpToken('alice@example.com') });
    expect(response.errors).toBeUndefined();
    expect(response.status).toBe(200);
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors as oidcErrors } from 'oidc-provider';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { JWKS_COOLDOWN_MS } from '../../src/auth/remote-jwks.js';
import { codes, startTestServer, type TestServer } from '../support/server.js';

/**
 * A real, certified OpenID provider (panva's oidc-provider) in-process on loopback, and a server
 * trusting it through AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE: the tokens it issues (OAuth
 * client credentials with a resource indicator, so a JWT access token whose `aud` is this API)
 * are accepted end to end, its signing key can be rotated, and every refusal is logged with why.
 */
const AUDIENCE = 'https://api.tenantgraph.test/';
const CLIENT_ID = 'reporting-service';
const CLIENT_SECRET = 'reporting-service-secret-0123456789';
const EMAIL = 'reporting@example.com';

/** The provider behind the loopback listener; replaced to rotate its keys. */
let provider: Provider;
let idp: Server;
let issuer: string;
let server: TestServer;
const logLines: Array<Record<string, unknown>> = [];
let firstKey: JWK;

/** A pino logger whose JSON lines land in `lines`. */
function capturingLogger(lines: Array<Record<string, unknown>>) {
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level: 'info' }, capture);
}

async function signingKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
}

function createProvider(keys: JWK[]): Provider {
  return new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        getResourceServerInfo: (_ctx, resource) => {
          if (!resource.startsWith('https://')) throw new oidcErrors.InvalidTarget();
          return {
            scope: 'parks:read',
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 600,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    extraTokenClaims: () => ({ email: EMAIL }),
  });
}

/** An access token from the provider's token endpoint (client_secret_basic). */
async function accessToken(resource = AUDIENCE): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'parks:read' }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`token endpoint: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

function logsSince(index: number, message: RegExp) {
  return logLines.slice(index).filter((line) => message.test(String(line.msg)));
}

beforeAll(async () => {
  idp = createServer((req: IncomingMessage, res: ServerResponse) => provider.callback()(req, res));
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  firstKey = await signingKey('key-1');
  provider = createProvider([firstKey]);
  server = await startTestServer(
    { AUTH_JWKS_URL: `${issuer}/jwks`, AUTH_ISSUER: issuer, AUTH_AUDIENCE: AUDIENCE },
    { logger: capturingLogger(logLines) },
  );
  // Until users are created on their first request, the provider's subject is a stored user: a
  // texas viewer. Roles always come from the database, never from the token.
  const { database, identity } = server.app.services;
  const texas = await identity.tenantBySlug('texas');
  const userId = 'a0c1d2e3f4a5b6c7d8e9f0a1';
  await database.platform.collection('users').insertOne({
    _id: userId,
    subject: CLIENT_ID,
    email: EMAIL,
    activeTenantId: texas!._id,
    createdAt: new Date(),
  });
  await database.platform.collection('memberships').insertOne({
    _id: 'b0c1d2e3f4a5b6c7d8e9f0a1',
    userId,
    tenantId: texas!._id,
    roles: ['VIEWER'],
    updatedAt: new Date(),
  });
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => idp?.close(resolve));
});

const PARKS = '{ viewer { user { email } tenant { slug } roles } parks(first: 10) { nodes { name } } }';

describe('tokens issued by oidc-provider', () => {
  it('are JWT access tokens for this API, and the server serves their subject', async () => {
    const token = await accessToken();
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: 'key-1', typ: 'at+jwt' });
    const response = await server.gql(PARKS, { auth: token });
    expect(response.errors).toBeUndefined();
    expect(response.data).toMatchObject({
      viewer: { user: { email: EMAIL }, tenant: { slug: 'texas' }, roles: ['VIEWER'] },
    });
    const parks = (response.data as { parks: { nodes: Array<{ name: string }> } }).parks.nodes;
    expect(parks.map((park) => park.name)).toContain('Big Bend Ranch State Park');
  });

  it('for another resource are refused, and the log says the audience and what the token carried', async () => {
    const before = logLines.length;
    const response = await server.gql(PARKS, { auth: await accessToken('https://other-api.test/') });
    expect(response.status).toBe(401);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(logsSince(before, /^token refused/)).toEqual([
      expect.objectContaining({
        reason: 'Token "aud" claim not accepted',
        claim: 'aud',
        got: 'https://other-api.test/',
      }),
    ]);
  });

  it('keep working across a rotation of its signing key: the new kid is fetched once the cooldown allows', async () => {
    const oldToken = await accessToken();
    expect((await server.gql(PARKS, { auth: oldToken })).errors).toBeUndefined();

    // The provider signs with key-2 from now on and still publishes key-1 for the tokens it issued.
    provider = createProvider([await signingKey('key-2'), firstKey]);
    const newToken = await accessToken();
    expect(decodeProtectedHeader(newToken).kid).toBe('key-2');

    // Within the cooldown since the key set was last fetched, an unknown kid does not refetch it
    // (a flood of forged kids cannot hammer the provider): refused, and logged as such.
    const before = logLines.length;
    const early = await server.gql(PARKS, { auth: newToken });
    expect(codes(early)).toEqual(['UNAUTHENTICATED']);
    expect(logsSince(before, /^token refused/)).toEqual([
      expect.objectContaining({ reason: 'Token signing key unknown', kid: 'key-2' }),
    ]);

    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + JWKS_COOLDOWN_MS + 1000);
    expect((await server.gql(PARKS, { auth: newToken })).errors).toBeUndefined();
    expect((await server.gql(PARKS, { auth: oldToken })).errors).toBeUndefined();
  });
});

describe('failures of the identity provider set-up are logged with their reason', () => {
  let unreachable: TestServer;
  let wrongIssuer: TestServer;
  const unreachableLogs: Array<Record<string, unknown>> = [];
  const wrongIssuerLogs: Array<Record<string, unknown>> = [];
  let closedPort: number;

  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    [unreachable, wrongIssuer] = await Promise.all([
      startTestServer(
        { AUTH_JWKS_URL: `http://127.0.0.1:${closedPort}/jwks`, AUTH_ISSUER: issuer, AUTH_AUDIENCE: AUDIENCE },
        { logger: capturingLogger(unreachableLogs) },
      ),
      startTestServer(
        { AUTH_JWKS_URL: `${issuer}/jwks`, AUTH_ISSUER: 'https://login.example.test/', AUTH_AUDIENCE: AUDIENCE },
        { logger: capturingLogger(wrongIssuerLogs) },
      ),
    ]);
  });
  afterAll(() => Promise.all([unreachable?.stop(), wrongIssuer?.stop()]));

  it('an unreachable JWKS: the URL and the connection error', async () => {
    const response = await unreachable.gql(PARKS, { auth: await accessToken() });
    expect(response.status).toBe(401);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(unreachableLogs.filter((line) => /^identity provider keys unavailable/.test(String(line.msg)))).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'identity provider keys unavailable: JWKS unreachable (ECONNREFUSED)',
        jwksUrl: `http://127.0.0.1:${closedPort}/jwks`,
      }),
    ]);
    expect(unreachableLogs).toContainEqual(
      expect.objectContaining({ msg: 'token refused: Token signing keys unavailable' }),
    );
  });

  it('a token from another issuer: the issuer it carries', async () => {
    const response = await wrongIssuer.gql(PARKS, { auth: await accessToken() });
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(wrongIssuerLogs).toContainEqual(
      expect.objectContaining({ reason: 'Token "iss" claim not accepted', claim: 'iss', got: issuer }),
    );
  });
});

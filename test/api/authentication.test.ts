import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const QUERY = '{ viewer { user { email } } }';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

async function signWith(
  key: Parameters<SignJWT['sign']>[0],
  claims: { iss?: string; aud?: string; exp?: number; nbf?: number; sub?: string },
  header: { alg: string; kid?: string },
) {
  let jwt = new SignJWT({ email: 'alice@example.com' }).setProtectedHeader(header).setIssuedAt();
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  if (claims.iss !== undefined) jwt = jwt.setIssuer(claims.iss);
  if (claims.aud !== undefined) jwt = jwt.setAudience(claims.aud);
  if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
  if (claims.nbf !== undefined) jwt = jwt.setNotBefore(claims.nbf);
  return jwt.sign(key);
}

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

async function expectRefused(auth: string | null, headers: Record<string, string> = {}) {
  const response = await server.gql(QUERY, { auth, headers });
  expect(response.status).toBe(401);
  expect(codes(response)).toEqual(['UNAUTHENTICATED']);
  expect(response.data ?? null).toBeNull();
  expect(JSON.stringify(response.errors)).not.toMatch(/stack|jose|JWS|JWT[A-Z]/);
}

describe('JWTs', () => {
  it('a dev-issuer token of a seeded user is accepted', async () => {
    const response = await server.gql(QUERY, { auth: await server.token('alice@example.com') });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ viewer: { user: { email: 'alice@example.com' } } });
  });

  it('no credentials at all', () => expectRefused(null));

  it('garbage and a malformed Authorization header', async () => {
    await expectRefused('not-a-jwt');
    await expectRefused(null, { authorization: 'Basic YWxpY2U6cGFzcw==' });
  });

  it('signed by the server’s own key but expired, not yet valid, for another audience or issuer, or without exp or sub', async () => {
    const good = { sub: 'alice@example.com', iss: server.issuer.issuer, aud: server.issuer.audience, exp: now() + 600 };
    expect((await server.gql(QUERY, { auth: await server.signRaw(good) })).status).toBe(200);
    const { exp: _exp, ...withoutExp } = good;
    const { sub: _sub, ...withoutSub } = good;
    for (const bad of [
      { ...good, exp: now() - 60 },
      { ...good, nbf: now() + 600 },
      { ...good, aud: 'someone-else' },
      { ...good, iss: 'https://evil.example.com' },
      withoutExp,
      withoutSub,
    ]) {
      await expectRefused(await server.signRaw(bad));
    }
  });

  it('a token signed by another key under the server’s kid (forged)', async () => {
    const valid = await server.token('alice@example.com');
    const kid = JSON.parse(Buffer.from(valid.split('.')[0]!, 'base64url').toString()).kid as string;
    const forger = await generateKeyPair('ES256');
    const forged = await signWith(
      forger.privateKey,
      { sub: 'alice@example.com', iss: server.issuer.issuer, aud: server.issuer.audience, exp: now() + 600 },
      { alg: 'ES256', kid },
    );
    await expectRefused(forged);
  });

  it('alg none, and HS256 keyed with the public key', async () => {
    const payload = {
      sub: 'alice@example.com',
      iss: server.issuer.issuer,
      aud: server.issuer.audience,
      exp: now() + 600,
    };
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`);
    const publicJwk = server.issuer.jwks.keys[0]!;
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const hs = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid! }).sign(secret);
    await expectRefused(hs);
  });

  it('a tampered payload (role claims cannot be added)', async () => {
    const [header, payload, signature] = (await server.token('dave@example.com')).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = `${header}.${b64({ ...claims, sub: 'alice@example.com', roles: ['ADMIN'] })}.${signature}`;
    await expectRefused(tampered);
  });

  it('a valid token of a user the service does not know, whose address the provider did not verify', async () => {
    const token = await server.signRaw({
      sub: 'nobody@example.com',
      email: 'nobody@example.com',
      iss: server.issuer.issuer,
      aud: server.issuer.audience,
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    await expectRefused(token);
  });

  it('claims in a valid token never raise rights: roles come from the database', async () => {
    const token = await server.issuer.sign(
      { subject: 'dave@example.com', email: 'alice@example.com', tenant: 'washington' },
      600,
    );
    const response = await server.gql('{ viewer { user { email } roles } }', { auth: token });
    expect(response.status).toBe(403);
    expect(codes(response)).toEqual(['FORBIDDEN']);
  });
});

describe('API keys', () => {
  const createKey = async (input: Record<string, unknown>) => {
    const response = await server.as<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      'alice@example.com',
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name roles expiresAt revokedAt } } }',
      { variables: { input } },
    );
    expect(response.errors).toBeUndefined();
    return response.data!.createApiKey;
  };

  it('a key works over Authorization and X-API-Key, in its own tenant only', async () => {
    const { secret } = await createKey({ name: 'reader', roles: ['VIEWER'] });
    expect(secret).toMatch(/^tgk_/);
    const bearer = await server.gql('{ viewer { tenant { slug } roles } }', { auth: secret });
    expect(bearer.data).toEqual({ viewer: { tenant: { slug: 'texas' }, roles: ['VIEWER'] } });
    const header = await server.gql('{ viewer { tenant { slug } } }', { headers: { 'x-api-key': secret } });
    expect(header.data).toEqual({ viewer: { tenant: { slug: 'texas' } } });
    const elsewhere = await server.gql('{ parks { nodes { id } } }', {
      auth: secret,
      headers: { 'x-tenant-id': 'washington' },
    });
    expect(codes(elsewhere)).toEqual(['FORBIDDEN']);
  });

  it('the secret is stored only as a hash and never shown again', async () => {
    const { secret, apiKey } = await createKey({ name: 'hashed', roles: ['VIEWER'] });
    const listed = await server.as('alice@example.com', '{ apiKeys { id name } }');
    expect(JSON.stringify(listed)).not.toContain(secret.slice(4));
    expect(JSON.stringify(listed)).toContain(apiKey.id);
  });

  it('a revoked key is refused at once', async () => {
    const { secret, apiKey } = await createKey({ name: 'revoked', roles: ['VIEWER'] });
    expect((await server.gql(QUERY, { auth: secret })).status).toBe(200);
    const revoked = await server.as('alice@example.com', 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', {
      variables: { id: apiKey.id },
    });
    expect(revoked.errors).toBeUndefined();
    await expectRefused(secret);
  });

  it('an expired key is refused', async () => {
    const { secret } = await createKey({
      name: 'short',
      roles: ['VIEWER'],
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    });
    expect((await server.gql(QUERY, { auth: secret })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await expectRefused(secret);
  });

  it('a key with a wrong secret, or an unknown key, is refused', async () => {
    const { secret } = await createKey({ name: 'guessed', roles: ['VIEWER'] });
    await expectRefused(`${secret.slice(0, -2)}xx`);
    await expectRefused(`tgk_${'0'.repeat(24)}_${secret.split('_')[2]}`);
  });

  it('bad input is BAD_USER_INPUT naming the field, and creates nothing', async () => {
    const before = await server.as<{ apiKeys: unknown[] }>('alice@example.com', '{ apiKeys { id } }');
    for (const [input, field] of [
      [{ name: '', roles: ['VIEWER'] }, 'input.name'],
      [{ name: 'x', roles: [] }, 'input.roles'],
      [{ name: 'x', roles: ['VIEWER'], expiresAt: '2001-01-01T00:00:00Z' }, 'input.expiresAt'],
    ] as const) {
      const response = await server.as(
        'alice@example.com',
        'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
        {
          variables: { input },
        },
      );
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.extensions?.field).toBe(field);
    }
    const after = await server.as<{ apiKeys: unknown[] }>('alice@example.com', '{ apiKeys { id } }');
    expect(after.data?.apiKeys.length).toBe(before.data?.apiKeys.length);
  });
});

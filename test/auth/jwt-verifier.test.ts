import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, CompactSign, createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK, JWTPayload, KeyInput } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { createJwtVerifier } from '../../src/auth/jwt-verifier.js';
import type { JwtVerifier } from '../../src/auth/jwt-verifier.js';
import { createRemoteJwks } from '../../src/auth/remote-jwks.js';
import { AppError } from '../../src/errors.js';

const ISSUER = 'https://idp.test/';
const AUDIENCE = 'tenantgraph-api';
const KID = 'key-1';

interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

async function signingKey(alg: 'ES256' | 'RS256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const now = () => Math.floor(Date.now() / 1000);

function validClaims(): JWTPayload {
  return {
    sub: 'user-1',
    email: 'user@example.com',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now(),
    nbf: now(),
    exp: now() + 300,
  };
}

function sign(key: KeyInput, claims: JWTPayload, header: { alg: string; kid?: string } = { alg: 'ES256', kid: KID }) {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

async function rejection(verifier: JwtVerifier, token: string): Promise<AppError> {
  const error = await verifier.verify(token).then(
    () => expect.fail('the token was accepted'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).extensions.code).toBe('UNAUTHENTICATED');
  return error as AppError;
}

let trusted: SigningKey;
let verifier: JwtVerifier;

beforeAll(async () => {
  trusted = await signingKey('ES256', KID);
  verifier = createJwtVerifier({
    keys: createLocalJWKSet({ keys: [trusted.publicJwk] }),
    issuer: ISSUER,
    audience: AUDIENCE,
  });
});

describe('createJwtVerifier accepts', () => {
  it('a token signed by a trusted key, with its identity', async () => {
    const claims = { ...validClaims(), tenant: 'texas' };
    const verified = await verifier.verify(await sign(trusted.privateKey, claims));
    expect(verified).toEqual({
      issuer: ISSUER,
      subject: 'user-1',
      email: 'user@example.com',
      emailVerified: false,
      tenant: 'texas',
      expiresAt: new Date((claims.exp as number) * 1000),
    });
  });

  it('a token without email or tenant', async () => {
    const { email: _email, ...claims } = validClaims();
    expect(await verifier.verify(await sign(trusted.privateKey, claims))).toEqual({
      issuer: ISSUER,
      subject: 'user-1',
      emailVerified: false,
      expiresAt: expect.any(Date),
    });
  });

  it('email_verified only when the token says exactly true', async () => {
    for (const [claim, expected] of [
      [true, true],
      ['true', false],
      [1, false],
    ] as const) {
      const token = await sign(trusted.privateKey, { ...validClaims(), email_verified: claim });
      await expect(verifier.verify(token)).resolves.toMatchObject({ emailVerified: expected });
    }
  });

  it('a token that expired within the 5 s clock tolerance', async () => {
    const token = await sign(trusted.privateKey, { ...validClaims(), exp: now() - 2 });
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'user-1' });
  });

  it('an RS256 token', async () => {
    const rsa = await signingKey('RS256', 'rsa-1');
    const rsaVerifier = createJwtVerifier({
      keys: createLocalJWKSet({ keys: [rsa.publicJwk] }),
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const token = await sign(rsa.privateKey, validClaims(), { alg: 'RS256', kid: 'rsa-1' });
    await expect(rsaVerifier.verify(token)).resolves.toMatchObject({ subject: 'user-1' });
  });
});

describe('createJwtVerifier refuses with UNAUTHENTICATED', () => {
  it('a token forged with another key under the trusted kid', async () => {
    const forger = await signingKey('ES256', KID);
    const error = await rejection(verifier, await sign(forger.privateKey, validClaims()));
    expect(error.message).toBe('Token signature invalid');
    expect(error.cause).toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  it('a token whose kid is unknown', async () => {
    const token = await sign(trusted.privateKey, validClaims(), { alg: 'ES256', kid: 'other' });
    expect((await rejection(verifier, token)).message).toBe('Token signing key unknown');
  });

  it('an expired token', async () => {
    const token = await sign(trusted.privateKey, { ...validClaims(), exp: now() - 60 });
    expect((await rejection(verifier, token)).message).toBe('Token expired');
  });

  it('a token that is not yet valid', async () => {
    const token = await sign(trusted.privateKey, { ...validClaims(), nbf: now() + 60 });
    expect((await rejection(verifier, token)).message).toBe('Token not yet valid');
  });

  it('a token for another audience', async () => {
    const token = await sign(trusted.privateKey, { ...validClaims(), aud: 'another-api' });
    expect((await rejection(verifier, token)).message).toBe('Token "aud" claim not accepted');
  });

  it('a token from another issuer', async () => {
    const token = await sign(trusted.privateKey, { ...validClaims(), iss: 'https://evil.test/' });
    expect((await rejection(verifier, token)).message).toBe('Token "iss" claim not accepted');
  });

  it.each(['exp', 'sub'])('a token without %s', async (claim) => {
    const claims = validClaims();
    delete claims[claim];
    expect((await rejection(verifier, await sign(trusted.privateKey, claims))).message).toBe(
      `Token lacks the "${claim}" claim`,
    );
  });

  it('a token whose sub is not a string', async () => {
    const token = await sign(trusted.privateKey, { ...validClaims(), sub: 42 as unknown as string });
    expect((await rejection(verifier, token)).message).toBe('Token malformed');
  });

  it('an unsigned token (alg none)', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', kid: KID, typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify(validClaims()));
    expect((await rejection(verifier, `${header}.${payload}.`)).message).toBe('Token algorithm not allowed');
  });

  it('an HS256 token keyed with the public key material', async () => {
    const pem = new TextEncoder().encode(await exportSPKI(trusted.publicKey));
    const jwkSecret = new TextEncoder().encode(JSON.stringify(trusted.publicJwk));
    for (const secret of [pem, jwkSecret]) {
      const token = await sign(secret, validClaims(), { alg: 'HS256', kid: KID });
      expect((await rejection(verifier, token)).message).toBe('Token algorithm not allowed');
    }
  });

  it.each(['', 'garbage', 'a.b.c', 'e30.e30.', '....', 'Bearer x.y.z'])('the garbage token %j', async (token) => {
    expect((await rejection(verifier, token)).message).toBe('Token malformed');
  });

  it('a correctly signed payload that is not a claims set', async () => {
    const token = await new CompactSign(new TextEncoder().encode('not json'))
      .setProtectedHeader({ alg: 'ES256', kid: KID })
      .sign(trusted.privateKey);
    expect((await rejection(verifier, token)).message).toBe('Token malformed');
  });

  it('without leaking library messages', async () => {
    const token = await sign(trusted.privateKey, { ...validClaims(), exp: now() - 60 });
    const error = await rejection(verifier, token);
    expect(JSON.stringify(error.toJSON())).not.toMatch(/timestamp|ERR_|jose/i);
  });
});

describe('createJwtVerifier with a dev issuer', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-jwt-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('accepts its tokens and refuses them for another audience', async () => {
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com', tenant: 'texas' }, 60);
    const devVerifier = createJwtVerifier({ keys: issuer.keys, issuer: issuer.issuer, audience: issuer.audience });
    const verified = await devVerifier.verify(token);
    expect(verified).toMatchObject({ subject: 'alice@example.com', email: 'alice@example.com', tenant: 'texas' });
    expect(Math.abs(verified.expiresAt.getTime() - (Date.now() + 60_000))).toBeLessThan(5_000);
    const otherAudience = createJwtVerifier({ keys: issuer.keys, issuer: issuer.issuer, audience: 'other' });
    expect((await rejection(otherAudience, token)).message).toBe('Token "aud" claim not accepted');
  });
});

describe('createJwtVerifier with a remote JWKS', () => {
  let server: Server;
  let status = 200;
  let baseUrl: string;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [trusted.publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const remoteVerifier = (url: string) =>
    createJwtVerifier({ keys: createRemoteJwks(url), issuer: ISSUER, audience: AUDIENCE });

  it('accepts a token signed by a published key', async () => {
    status = 200;
    const token = await sign(trusted.privateKey, validClaims());
    await expect(remoteVerifier(`${baseUrl}/jwks`).verify(token)).resolves.toMatchObject({ subject: 'user-1' });
  });

  it('refuses when the identity provider answers with an error', async () => {
    status = 500;
    const token = await sign(trusted.privateKey, validClaims());
    expect((await rejection(remoteVerifier(`${baseUrl}/jwks`), token)).message).toBe('Token signing keys unavailable');
  });

  it('refuses when the identity provider cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const token = await sign(trusted.privateKey, validClaims());
    expect((await rejection(remoteVerifier(`http://127.0.0.1:${port}/jwks`), token)).message).toBe(
      'Token signing keys unavailable',
    );
  });
});

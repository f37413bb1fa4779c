import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEV_AUDIENCE, DEV_ISSUER, DEV_ISSUER_KEY_FILE, loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { createJwtVerifier } from '../../src/auth/jwt-verifier.js';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-dev-issuer-'));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

describe('loadOrCreateDevIssuer', () => {
  it('creates one ES256 key, private to its owner, in a directory it creates', async () => {
    const dir = join(dataDir, 'nested', 'state');
    const issuer = await loadOrCreateDevIssuer(dir);
    const file = join(dir, DEV_ISSUER_KEY_FILE);
    const stored = JSON.parse(await readFile(file, 'utf8'));
    expect(stored).toMatchObject({ kty: 'EC', crv: 'P-256', d: expect.any(String), kid: expect.any(String) });
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual([DEV_ISSUER_KEY_FILE]);
    expect(issuer.jwks.keys).toEqual([
      { kty: 'EC', crv: 'P-256', x: stored.x, y: stored.y, kid: stored.kid, alg: 'ES256', use: 'sig' },
    ]);
  });

  it('publishes no private key material', async () => {
    const { jwks } = await loadOrCreateDevIssuer(dataDir);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });

  it('reuses the stored key on later loads', async () => {
    const first = await loadOrCreateDevIssuer(dataDir);
    const second = await loadOrCreateDevIssuer(dataDir);
    expect(second.jwks).toEqual(first.jwks);
    const token = await first.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 60);
    const verifier = createJwtVerifier({ keys: second.keys, issuer: second.issuer, audience: second.audience });
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'alice@example.com' });
  });

  it('ends up with a single key when first loads overlap', async () => {
    // Staggered starts make some loads publish while others are between reading and publishing.
    const loads = Array.from({ length: 12 }, async (_, index) => {
      await sleep(index / 2);
      return (await loadOrCreateDevIssuer(dataDir)).jwks.keys[0]?.kid;
    });
    const kids = new Set(await Promise.all(loads));
    expect(kids.size).toBe(1);
    expect(await readdir(dataDir)).toEqual([DEV_ISSUER_KEY_FILE]);
  });

  it('refuses a key file that is not a dev-issuer key', async () => {
    await writeFile(join(dataDir, DEV_ISSUER_KEY_FILE), '{"kty":"oct","k":"c2VjcmV0"}');
    await expect(loadOrCreateDevIssuer(dataDir)).rejects.toThrow(/is not a dev-issuer key; delete it/);
    await writeFile(join(dataDir, DEV_ISSUER_KEY_FILE), 'not json');
    await expect(loadOrCreateDevIssuer(dataDir)).rejects.toThrow(/is not a dev-issuer key; delete it/);
  });
});

describe('DevIssuer.sign', () => {
  it('issues a token with the contract claims and the kid in its header', async () => {
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const before = Math.floor(Date.now() / 1000);
    const token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com', tenant: 'texas' }, 120);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: issuer.jwks.keys[0]?.kid, typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toEqual({
      sub: 'alice@example.com',
      email: 'alice@example.com',
      email_verified: true,
      tenant: 'texas',
      iss: DEV_ISSUER,
      aud: DEV_AUDIENCE,
      iat: expect.any(Number),
      nbf: claims.iat,
      exp: (claims.iat ?? 0) + 120,
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
  });

  it('leaves tenant out unless given', async () => {
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const token = await issuer.sign({ subject: 'bob@example.com', email: 'bob@example.com' }, 60);
    expect(decodeJwt(token)).not.toHaveProperty('tenant');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a ttl of %s seconds', async (ttl) => {
    const issuer = await loadOrCreateDevIssuer(dataDir);
    await expect(issuer.sign({ subject: 'a@example.com', email: 'a@example.com' }, ttl)).rejects.toThrow(RangeError);
  });
});

import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import type { JSONWebKeySet, JWK, JWTVerifyGetKey } from 'jose';
import { z } from 'zod';

export const DEV_ISSUER = 'urn:tenantgraph:dev-issuer';
export const DEV_AUDIENCE = 'tenantgraph';
export const DEV_ISSUER_KEY_FILE = 'dev-issuer-key.json';

const ALGORITHM = 'ES256';

const PrivateJwk = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string(),
  y: z.string(),
  d: z.string(),
  kid: z.string().min(1),
});
type PrivateJwk = z.infer<typeof PrivateJwk>;

export interface DevTokenClaims {
  /** The user's `sub`; for the demo users it is their email. */
  subject: string;
  email: string;
  /** A preferred active tenant slug: a choice the server checks against memberships, never a right. */
  tenant?: string;
}

/** Dev-issuer mode: the server signs its own demo tokens with one key kept in DATA_DIR. */
export interface DevIssuer {
  issuer: string;
  audience: string;
  /** Served at /.well-known/jwks.json. */
  jwks: JSONWebKeySet;
  keys: JWTVerifyGetKey;
  sign(claims: DevTokenClaims, ttlSeconds: number): Promise<string>;
}

/** Loads the dev signing key from `<dataDir>/dev-issuer-key.json`, creating it on first use. */
export async function loadOrCreateDevIssuer(dataDir: string): Promise<DevIssuer> {
  const file = join(dataDir, DEV_ISSUER_KEY_FILE);
  const privateJwk = (await readKey(file)) ?? (await createKey(file));
  return devIssuerFor(privateJwk);
}

async function readKey(file: string): Promise<PrivateJwk | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = PrivateJwk.safeParse(parseJson(text));
  if (!parsed.success) throw new Error(`${file} is not a dev-issuer key; delete it to create a new one`);
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Publishes the new key with link(), which fails when the file already exists, rather than rename(),
 * which replaces it: when two processes start together, the loser keeps the winner's key instead of
 * one of them signing with a key that is no longer on disk.
 */
async function createKey(file: string): Promise<PrivateJwk> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const key = { ...jwk, kid: await calculateJwkThumbprint(jwk) };
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(key, null, 2), { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temp, { force: true });
  }
  const stored = await readKey(file);
  if (stored === null) throw new Error(`${file} vanished while it was being created`);
  return stored;
}

async function devIssuerFor(privateJwk: PrivateJwk): Promise<DevIssuer> {
  const { kty, crv, x, y, kid } = privateJwk;
  const publicJwk: JWK = { kty, crv, x, y, kid, alg: ALGORITHM, use: 'sig' };
  const signingKey = await importJWK(privateJwk, ALGORITHM);
  const jwks = { keys: [publicJwk] };
  return {
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    jwks,
    keys: createLocalJWKSet(jwks),
    async sign({ subject, email, tenant }, ttlSeconds) {
      if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
        throw new RangeError(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
      }
      const now = Math.floor(Date.now() / 1000);
      // The dev issuer signs for addresses it was given: they count as verified, as a provider's would.
      return new SignJWT({ email, email_verified: true, ...(tenant === undefined ? {} : { tenant }) })
        .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'JWT' })
        .setSubject(subject)
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(signingKey);
    },
  };
}

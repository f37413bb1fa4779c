import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `tgk_<keyId>_<secret>`: keyId is the key document's id (24 hex), secret is 32 bytes base64url (43 chars). */
const API_KEY_PATTERN = /^tgk_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;

export const API_KEY_PREFIX = 'tgk_';

export interface GeneratedApiKey {
  keyId: string;
  /** The full `tgk_…` string, shown once at creation and never stored. */
  secret: string;
  secretHash: string;
}

export interface ParsedApiKey {
  keyId: string;
  secretHash: string;
}

export function generateApiKey(): GeneratedApiKey {
  const keyId = randomBytes(12).toString('hex');
  const secret = `${API_KEY_PREFIX}${keyId}_${randomBytes(32).toString('base64url')}`;
  return { keyId, secret, secretHash: hashApiKey(secret) };
}

/** The key id and the hash of a presented key, or null when it is not exactly of the `tgk_` format. */
export function parseApiKey(value: string): ParsedApiKey | null {
  const match = API_KEY_PATTERN.exec(value);
  const keyId = match?.[1];
  if (keyId === undefined) return null;
  return { keyId, secretHash: hashApiKey(value) };
}

/** Compares two hex SHA-256 hashes in constant time. */
export function secretMatches(storedHash: string, presentedHash: string): boolean {
  const stored = Buffer.from(storedHash, 'hex');
  const presented = Buffer.from(presentedHash, 'hex');
  return stored.length === 32 && presented.length === 32 && timingSafeEqual(stored, presented);
}

/**
 * A fast hash is right here: the secret holds 256 random bits, so there is nothing to brute-force
 * that a slow password hash (bcrypt, scrypt) would protect, and it would only cost every request.
 */
function hashApiKey(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

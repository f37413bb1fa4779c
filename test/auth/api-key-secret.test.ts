import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateApiKey, parseApiKey, secretMatches } from '../../src/auth/api-key-secret.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('generateApiKey', () => {
  it('returns a tgk_ key whose id is 24 hex chars and whose hash is the SHA-256 of the whole key', () => {
    const { keyId, secret, secretHash } = generateApiKey();
    expect(keyId).toMatch(/^[0-9a-f]{24}$/);
    expect(secret).toMatch(new RegExp(`^tgk_${keyId}_[A-Za-z0-9_-]{43}$`));
    expect(secretHash).toBe(sha256(secret));
  });

  it('never repeats an id or a secret', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    expect(new Set(keys.map((key) => key.keyId)).size).toBe(200);
    expect(new Set(keys.map((key) => key.secret)).size).toBe(200);
  });

  it('produces keys that parse back to the same id and hash', () => {
    const { keyId, secret, secretHash } = generateApiKey();
    expect(parseApiKey(secret)).toEqual({ keyId, secretHash });
  });
});

describe('parseApiKey', () => {
  const { keyId, secret } = generateApiKey();
  const tail = secret.slice(`tgk_${keyId}_`.length);

  it.each([
    ['an empty string', ''],
    ['the prefix alone', 'tgk_'],
    ['another prefix', `tgx_${keyId}_${tail}`],
    ['an upper-case prefix', `TGK_${keyId}_${tail}`],
    ['an upper-case key id', `tgk_${keyId.toUpperCase()}_${tail}`],
    ['a short key id', `tgk_${keyId.slice(1)}_${tail}`],
    ['a long key id', `tgk_${keyId}0_${tail}`],
    ['a non-hex key id', `tgk_${'g'.repeat(24)}_${tail}`],
    ['a short secret', secret.slice(0, -1)],
    ['a long secret', `${secret}A`],
    ['padding', `${secret}=`],
    ['standard base64 characters', `tgk_${keyId}_${'+'.repeat(43)}`],
    ['a leading space', ` ${secret}`],
    ['a trailing newline', `${secret}\n`],
    ['a missing separator', `tgk_${keyId}${tail}`],
    ['a JWT', 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln'],
  ])('rejects %s', (_case, value) => {
    expect(parseApiKey(value)).toBeNull();
  });
});

describe('secretMatches', () => {
  const { secret, secretHash } = generateApiKey();

  it('matches the hash of the same key', () => {
    expect(secretMatches(secretHash, sha256(secret))).toBe(true);
  });

  it('refuses the hash of another key', () => {
    expect(secretMatches(secretHash, generateApiKey().secretHash)).toBe(false);
  });

  it('refuses a hash that differs in its last character only', () => {
    const last = secretHash.endsWith('0') ? '1' : '0';
    expect(secretMatches(secretHash, `${secretHash.slice(0, -1)}${last}`)).toBe(false);
  });

  it.each([
    ['empty hashes', '', ''],
    ['a truncated hash', secretHash, secretHash.slice(0, 32)],
    ['non-hex input', 'z'.repeat(64), 'z'.repeat(64)],
  ])('refuses %s without throwing', (_case, stored, presented) => {
    expect(secretMatches(stored, presented)).toBe(false);
  });
});

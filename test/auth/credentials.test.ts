import { describe, expect, it } from 'vitest';
import { readCredential } from '../../src/auth/credentials.js';
import { AppError } from '../../src/errors.js';

const API_KEY = `tgk_${'a1'.repeat(12)}_${'x'.repeat(43)}`;
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';

/** A lookup over header-shaped keys, case-insensitive as HTTP and connection_init payloads both are. */
function headers(values: Record<string, string>) {
  const lower = new Map(Object.entries(values).map(([name, value]) => [name.toLowerCase(), value]));
  return (name: string) => lower.get(name.toLowerCase());
}

function refusal(values: Record<string, string>): AppError {
  try {
    readCredential(headers(values));
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).extensions.code).toBe('UNAUTHENTICATED');
    return error as AppError;
  }
  throw new Error(`accepted ${JSON.stringify(values)}`);
}

describe('readCredential', () => {
  it('returns null when no credential is presented', () => {
    expect(readCredential(headers({}))).toBeNull();
    expect(readCredential(headers({ 'x-tenant-id': 'texas' }))).toBeNull();
  });

  it('reads a bearer JWT', () => {
    expect(readCredential(headers({ Authorization: `Bearer ${JWT}` }))).toEqual({ kind: 'jwt', token: JWT });
  });

  it('reads an API key from Authorization or X-API-Key', () => {
    expect(readCredential(headers({ authorization: `Bearer ${API_KEY}` }))).toEqual({ kind: 'apiKey', value: API_KEY });
    expect(readCredential(headers({ 'X-API-Key': API_KEY }))).toEqual({ kind: 'apiKey', value: API_KEY });
  });

  it('accepts both headers when they hold the same key', () => {
    const both = { Authorization: `Bearer ${API_KEY}`, 'X-Api-Key': API_KEY };
    expect(readCredential(headers(both))).toEqual({ kind: 'apiKey', value: API_KEY });
  });

  it('treats the Bearer scheme case-insensitively and tolerates surrounding spaces', () => {
    expect(readCredential(headers({ AUTHORIZATION: `bearer  ${JWT} ` }))).toEqual({ kind: 'jwt', token: JWT });
  });

  it.each([
    ['another scheme', { Authorization: `Basic ${btoa('alice:secret')}` }, /Bearer <token>/],
    ['a bare token', { Authorization: JWT }, /Bearer <token>/],
    ['an empty header', { Authorization: '' }, /Bearer <token>/],
    ['an empty bearer token', { Authorization: 'Bearer ' }, /Bearer <token>/],
    ['two tokens', { Authorization: `Bearer ${JWT} ${JWT}` }, /Bearer <token>/],
    ['a JWT in X-API-Key', { 'X-API-Key': JWT }, /X-API-Key must hold a tgk_ API key/],
    ['a JWT and an API key', { Authorization: `Bearer ${JWT}`, 'X-API-Key': API_KEY }, /disagree/],
    [
      'two different API keys',
      { Authorization: `Bearer ${API_KEY}`, 'X-API-Key': API_KEY.replace('x', 'y') },
      /disagree/,
    ],
    [
      'a malformed Authorization beside an API key',
      { Authorization: 'Basic abc', 'X-API-Key': API_KEY },
      /Bearer <token>/,
    ],
  ])('refuses %s', (_case, values, message) => {
    expect(refusal(values).message).toMatch(message);
  });
});

import { describe, expect, it } from 'vitest';
import { fromGlobalId, toGlobalId } from '../../src/modules/global-id.js';

const RAW = '65a1b2c3d4e5f60718293a4b';

describe('global ids', () => {
  it('round-trips a raw id through an opaque base64url string', () => {
    const id = toGlobalId('Park', RAW);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(id).not.toContain(RAW);
    expect(Buffer.from(id, 'base64url').toString()).toBe(`Park:${RAW}`);
    expect(fromGlobalId('Park', id)).toBe(RAW);
  });

  it('keeps colons inside the raw id', () => {
    expect(fromGlobalId('User', toGlobalId('User', 'a:b'))).toBe('a:b');
  });

  it('refuses an id of another type', () => {
    expect(fromGlobalId('Reservation', toGlobalId('Park', RAW))).toBeNull();
    expect(fromGlobalId('Park', toGlobalId('Reservation', RAW))).toBeNull();
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an operator object', { $ne: null }],
    ['an array', [toGlobalId('Park', RAW)]],
    ['an empty string', ''],
    ['a raw id', RAW],
    ['standard base64 padding', `${toGlobalId('Park', RAW)}=`],
    ['characters outside base64url', 'UGFyaz+/'],
    ['a prefix with no raw id', toGlobalId('Park', '')],
    ['the type name only', Buffer.from('Park').toString('base64url')],
    ['an oversized string', 'A'.repeat(10_000)],
  ])('returns null for %s', (_label, value) => {
    expect(fromGlobalId('Park', value)).toBeNull();
  });

  it('refuses non-canonical spellings of a valid id', () => {
    const id = toGlobalId('Park', RAW);
    // The last character carries unused bits; flipping them decodes to the same bytes in Node.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(id.at(-1) ?? 'A');
    const variant = id.slice(0, -1) + alphabet[last + 1];
    expect(Buffer.from(variant, 'base64url').equals(Buffer.from(id, 'base64url'))).toBe(true);
    expect(fromGlobalId('Park', variant)).toBeNull();
  });
});

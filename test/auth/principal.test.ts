import { describe, expect, it } from 'vitest';
import {
  isPrincipalRef,
  principalKey,
  principalRef,
  type ExportLinkPrincipal,
  type Principal,
} from '../../src/auth/principal.js';
import { safelistOf } from '../../src/bi/safelist.js';
import { grantorOf } from '../../src/tenancy/key-rights.js';

const user: Principal = {
  kind: 'user',
  userId: 'u1',
  subject: 'idp|u1',
  email: 'u1@example.com',
  expiresAt: new Date('2100-01-01T00:00:00Z'),
};
const key: Principal = {
  kind: 'apiKey',
  keyId: 'k1',
  name: 'bi',
  tenantId: 't1',
  roles: ['ANALYST'],
  grantorId: 'u1',
  expiresAt: null,
  operations: null,
};
const link: ExportLinkPrincipal = {
  kind: 'exportLink',
  tenantId: 't1',
  createdBy: { kind: 'apiKey', id: 'k1' },
  operation: 'ParksWithCapacity',
  roles: ['ANALYST'],
  expiresAt: new Date('2100-01-01T00:00:00Z'),
};

describe('principal references are typed values', () => {
  it('name a user or a key; an export link acts for its creator', () => {
    expect(principalRef(user)).toEqual({ kind: 'user', id: 'u1' });
    expect(principalRef(key)).toEqual({ kind: 'apiKey', id: 'k1' });
    expect(principalRef(link)).toEqual({ kind: 'apiKey', id: 'k1' });
  });

  it('are told from anything else read back from storage or a link', () => {
    expect(isPrincipalRef({ kind: 'user', id: 'u1' })).toBe(true);
    for (const value of [
      'user:u1',
      { kind: 'exportLink', id: 'x' },
      { kind: 'user', id: '' },
      { kind: 'user' },
      null,
    ]) {
      expect(isPrincipalRef(value), JSON.stringify(value)).toBe(false);
    }
  });

  it('key caches per caller, an export link apart from its creator', () => {
    expect(principalKey(user)).toBe('user:u1');
    expect(principalKey(key)).toBe('apiKey:k1');
    expect(principalKey(link)).toBe('exportLink:ParksWithCapacity:apiKey:k1');
  });
});

describe('an export link is a principal of its own', () => {
  it('runs its one trusted operation and nothing else', () => {
    expect(safelistOf(link)).toEqual({ trustedOnly: true, operations: new Set(['ParksWithCapacity']) });
  });
});

describe("an API key's grantor", () => {
  it('is recorded on the key, else its user creator, typed or (keys stored before) as a label', () => {
    expect(grantorOf({ grantorId: 'u2', createdBy: { kind: 'user', id: 'u1' } })).toBe('u2');
    expect(grantorOf({ createdBy: { kind: 'user', id: 'u1' } })).toBe('u1');
    expect(grantorOf({ createdBy: { kind: 'apiKey', id: 'k1' } })).toBeNull();
    expect(grantorOf({ createdBy: 'user:u3' })).toBe('u3');
    expect(grantorOf({ createdBy: 'key:k1' })).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { PLATFORM_COLLECTIONS, TENANT_COLLECTIONS } from '../../src/data/collection-names.js';
import { INDEXES } from '../../src/data/indexes.js';

const tenantCollections: ReadonlySet<string> = new Set(TENANT_COLLECTIONS);

describe('INDEXES', () => {
  it('starts every index of a tenant collection with tenantId', () => {
    for (const index of INDEXES.filter((i) => tenantCollections.has(i.collection))) {
      expect(Object.keys(index.key)[0], JSON.stringify(index)).toBe('tenantId');
    }
  });

  it('declares at least one index for every collection', () => {
    const indexed = new Set(INDEXES.map((index) => index.collection));
    for (const name of [...TENANT_COLLECTIONS, ...PLATFORM_COLLECTIONS]) expect(indexed).toContain(name);
  });

  it('declares the unique identities of platform data and of event positions', () => {
    const unique = INDEXES.filter((index) => index.unique).map((i) => `${i.collection}:${Object.keys(i.key).join(',')}`);
    expect(unique.sort()).toEqual(
      [
        'events:tenantId,position',
        'memberships:userId,tenantId',
        'tenants:slug',
        'trustedOperations:tenantId,name',
        'users:email',
        'users:subject',
      ].sort(),
    );
  });
});

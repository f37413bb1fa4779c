import { describe, expect, it } from 'vitest';
import { PLATFORM_COLLECTIONS, TENANT_COLLECTIONS } from '../../src/data/collection-names.js';
import { INDEXES } from '../../src/data/indexes.js';

const tenantCollections: ReadonlySet<string> = new Set(TENANT_COLLECTIONS);

describe('INDEXES', () => {
  it('starts every index of a tenant collection with tenantId', () => {
    // TTL indexes aside: MongoDB expires documents through single-field indexes only (see the next test).
    for (const index of INDEXES.filter((i) => tenantCollections.has(i.collection) && i.expireAfter === undefined)) {
      expect(Object.keys(index.key)[0], JSON.stringify(index)).toBe('tenantId');
    }
  });

  it('has one TTL index, on the time of export events, single-field as MongoDB requires', () => {
    const ttl = INDEXES.filter((index) => index.expireAfter !== undefined);
    expect(ttl).toEqual([{ collection: 'events', key: { time: 1 }, expireAfter: 'eventRetention' }]);
  });

  it('declares at least one index for every collection', () => {
    const indexed = new Set(INDEXES.map((index) => index.collection));
    for (const name of [...TENANT_COLLECTIONS, ...PLATFORM_COLLECTIONS]) expect(indexed).toContain(name);
  });

  it('declares the unique identities of platform data and of event positions', () => {
    const unique = INDEXES.filter((index) => index.unique).map(
      (i) => `${i.collection}:${Object.keys(i.key).join(',')}`,
    );
    expect(unique.sort()).toEqual(
      [
        'events:tenantId,position',
        'memberships:userId,tenantId',
        'tenants:slug',
        'trustedOperations:tenantId,name',
        'trustedOperations:tenantId,hash',
        'exportLinkSecrets:tenantId',
        'users:email',
        'users:subject',
      ].sort(),
    );
  });
});

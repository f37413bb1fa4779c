import { describe, expect, it } from 'vitest';
import { CollectionCatalog } from '../../src/data/collection-catalog.js';
import { collections } from '../../src/modules/application.js';

const INDEXES = collections.indexes;
const tenantCollections: ReadonlySet<string> = new Set(collections.names('tenant'));

describe('the indexes the modules declare', () => {
  it('starts every index of a tenant collection with tenantId', () => {
    // TTL indexes aside: MongoDB expires documents through single-field indexes only (see the next test).
    for (const index of INDEXES.filter((i) => tenantCollections.has(i.collection) && i.expireAfter === undefined)) {
      expect(Object.keys(index.key)[0], JSON.stringify(index)).toBe('tenantId');
    }
  });

  it('has three TTL indexes, single-field as MongoDB requires: export events’ time, idempotency keys’ expiry', () => {
    const ttl = INDEXES.filter((index) => index.expireAfter !== undefined);
    expect(ttl).toEqual([
      { collection: 'events', key: { time: 1 }, expireAfter: 'eventRetention' },
      { collection: 'idempotencyKeys', key: { expiresAt: 1 }, expireAfter: 'theDate' },
      { collection: 'sharedIdempotencyKeys', key: { expiresAt: 1 }, expireAfter: 'theDate' },
    ]);
  });

  it('declares at least one index for every collection', () => {
    const indexed = new Set(INDEXES.map((index) => index.collection));
    for (const name of [...collections.names('tenant'), ...collections.names('platform')]) {
      expect(indexed).toContain(name);
    }
  });

  it('declares the unique identities of platform data, of event positions and of idempotency keys', () => {
    const unique = INDEXES.filter((index) => index.unique).map(
      (i) => `${i.collection}:${Object.keys(i.key).join(',')}`,
    );
    expect(unique.sort()).toEqual(
      [
        'events:tenantId,position',
        'memberships:userId,tenantId',
        'tenants:slug',
        'tenantPlacements:tenantId',
        'trustedOperations:tenantId,name',
        'trustedOperations:tenantId,hash',
        'exportLinkSecrets:tenantId',
        'invitations:email,tenantId',
        'idempotencyKeys:tenantId,credential,key',
        'sharedIdempotencyKeys:tenantId,credential,key',
        'stagedFiles:name',
        'users:email',
        'users:subject,issuer',
      ].sort(),
    );
  });
});

describe('CollectionCatalog', () => {
  it('refuses a tenant index that does not start with tenantId, naming it', () => {
    expect(
      () =>
        new CollectionCatalog([{ name: 'trails', owner: 'tenant', indexes: [{ key: { parkId: 1, tenantId: 1 } }] }]),
    ).toThrow(/trails must start with tenantId/);
  });

  it('refuses a collection declared twice, and a name that is not plain', () => {
    const parks = { name: 'parks', owner: 'tenant', indexes: [] } as const;
    expect(() => new CollectionCatalog([parks, parks])).toThrow(/parks is declared twice/);
    expect(() => new CollectionCatalog([{ ...parks, name: 'system.parks' }])).toThrow(/not a plain name/);
  });

  it('refuses a TTL index on more than one field', () => {
    expect(
      () =>
        new CollectionCatalog([
          {
            name: 'events',
            owner: 'tenant',
            indexes: [{ key: { time: 1, tenantId: 1 }, expireAfter: 'eventRetention' }],
          },
        ]),
    ).toThrow(/exactly one field/);
  });

  it('tells tenant from platform collections, and knows nothing else', () => {
    expect(collections.isTenant('parks')).toBe(true);
    expect(collections.isPlatform('parks')).toBe(false);
    expect(collections.isPlatform('memberships')).toBe(true);
    expect(collections.isTenant('memberships')).toBe(false);
    expect(collections.isTenant('system.users')).toBe(false);
    expect(collections.isTenant(undefined)).toBe(false);
  });
});

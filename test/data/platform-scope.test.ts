import { describe, expect, it } from 'vitest';
import { UnsafeQueryError } from '../../src/data/errors.js';
import { platformScope } from '../../src/data/platform-scope.js';
import { collections } from '../../src/modules/application.js';

/** The application's platform scope: joins are checked against the modules' collections. */
const scope = platformScope((name) => collections.isPlatform(name));

describe('platformScope', () => {
  it('passes filters through unscoped, tenantId included (memberships are read across tenants)', () => {
    expect(scope.filter({ userId: 'u' })).toEqual({ userId: 'u' });
    expect(scope.filter({ tenantId: { $in: ['a', 'b'] } })).toEqual({ tenantId: { $in: ['a', 'b'] } });
  });

  it('refuses server-side JavaScript and undefined values', () => {
    expect(() => scope.filter({ $where: 'true' })).toThrow(UnsafeQueryError);
    expect(() => scope.filter({ email: undefined })).toThrow(UnsafeQueryError);
  });

  it('refuses updates touching _id and replacement documents', () => {
    expect(() => scope.update({ $set: { _id: 'x' } }, { upsert: false })).toThrow(UnsafeQueryError);
    expect(() => scope.update({ email: 'x' }, { upsert: false })).toThrow(UnsafeQueryError);
    expect(scope.update({ $set: { roles: ['ADMIN'] } }, { upsert: true })).toEqual({
      $set: { roles: ['ADMIN'] },
    });
  });

  it('joins platform collections only', () => {
    const lookup = { from: 'tenants', localField: 'tenantId', foreignField: '_id', as: 'tenant' };
    expect(scope.pipeline([{ $lookup: lookup }])).toEqual([{ $lookup: lookup }]);
    expect(() => scope.pipeline([{ $lookup: { ...lookup, from: 'parks' } }])).toThrow(UnsafeQueryError);
    expect(() => scope.pipeline([{ $unionWith: 'apiKeys' }])).toThrow(UnsafeQueryError);
  });
});

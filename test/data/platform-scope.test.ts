import { describe, expect, it } from 'vitest';
import { UnsafeQueryError } from '../../src/data/errors.js';
import { platformScope } from '../../src/data/platform-scope.js';

describe('platformScope', () => {
  it('passes filters through unscoped, tenantId included (memberships are read across tenants)', () => {
    expect(platformScope.filter({ userId: 'u' })).toEqual({ userId: 'u' });
    expect(platformScope.filter({ tenantId: { $in: ['a', 'b'] } })).toEqual({ tenantId: { $in: ['a', 'b'] } });
  });

  it('refuses server-side JavaScript and undefined values', () => {
    expect(() => platformScope.filter({ $where: 'true' })).toThrow(UnsafeQueryError);
    expect(() => platformScope.filter({ email: undefined })).toThrow(UnsafeQueryError);
  });

  it('refuses updates touching _id and replacement documents', () => {
    expect(() => platformScope.update({ $set: { _id: 'x' } }, { upsert: false })).toThrow(UnsafeQueryError);
    expect(() => platformScope.update({ email: 'x' }, { upsert: false })).toThrow(UnsafeQueryError);
    expect(platformScope.update({ $set: { roles: ['ADMIN'] } }, { upsert: true })).toEqual({
      $set: { roles: ['ADMIN'] },
    });
  });

  it('joins platform collections only', () => {
    const lookup = { from: 'tenants', localField: 'tenantId', foreignField: '_id', as: 'tenant' };
    expect(platformScope.pipeline([{ $lookup: lookup }])).toEqual([{ $lookup: lookup }]);
    expect(() => platformScope.pipeline([{ $lookup: { ...lookup, from: 'parks' } }])).toThrow(UnsafeQueryError);
    expect(() => platformScope.pipeline([{ $unionWith: 'apiKeys' }])).toThrow(UnsafeQueryError);
  });
});

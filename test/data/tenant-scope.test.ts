import { describe, expect, it } from 'vitest';
import { UnsafeQueryError } from '../../src/data/errors.js';
import { scopeFilter, scopeInsert, scopePipeline, scopeUpdate } from '../../src/data/tenant-scope.js';
import { collections } from '../../src/modules/application.js';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbb';

describe('scopeFilter', () => {
  it('puts the caller filter inside $and with the bound tenant', () => {
    expect(scopeFilter(A, { name: 'x' })).toEqual({ $and: [{ tenantId: A }, { name: 'x' }] });
    expect(scopeFilter(A, {})).toEqual({ $and: [{ tenantId: A }, {}] });
  });

  it('keeps widening operators inside the $and, where they can only narrow', () => {
    const filter = { $or: [{ name: 'x' }, {}], _id: { $ne: null }, $expr: { $eq: [1, 1] } };
    expect(scopeFilter(A, filter)).toEqual({ $and: [{ tenantId: A }, filter] });
  });

  it.each([
    ['$where at the top', { $where: 'true' }],
    ['$where nested in $or', { $or: [{ $where: 'true' }] }],
    ['$function in $expr', { $expr: { $function: { body: 'return true', args: [], lang: 'js' } } }],
    ['$accumulator anywhere', { x: { $elemMatch: { $accumulator: {} } } }],
  ])('refuses server-side JavaScript: %s', (_case, filter) => {
    expect(() => scopeFilter(A, filter)).toThrow(UnsafeQueryError);
  });

  it.each([
    ['another tenant', { tenantId: B }],
    ['$in over tenants', { tenantId: { $in: [A, B] } }],
    ['$ne', { tenantId: { $ne: A } }],
    ['another tenant inside $or', { $or: [{ tenantId: B }, {}] }],
    ['another tenant inside $and', { $and: [{ name: 'x' }, { tenantId: B }] }],
  ])('refuses a filter naming a tenantId other than the bound one: %s', (_case, filter) => {
    expect(() => scopeFilter(A, filter)).toThrow(UnsafeQueryError);
  });

  it('accepts the bound tenant named explicitly', () => {
    expect(scopeFilter(A, { tenantId: A })).toEqual({ $and: [{ tenantId: A }, { tenantId: A }] });
  });

  it('refuses undefined values, which the driver would drop or send as null', () => {
    expect(() => scopeFilter(A, { _id: undefined })).toThrow(UnsafeQueryError);
    expect(() => scopeFilter(A, { _id: { $in: [undefined] } })).toThrow(UnsafeQueryError);
  });

  it('refuses a filter that is not a plain object', () => {
    expect(() => scopeFilter(A, [] as unknown as Record<string, unknown>)).toThrow(UnsafeQueryError);
    expect(() => scopeFilter(A, null as unknown as Record<string, unknown>)).toThrow(UnsafeQueryError);
  });

  it('leaves values that are not plain objects (dates, regexes) alone', () => {
    const filter = { createdAt: { $gt: new Date(0) }, name: /^x/ };
    expect(scopeFilter(A, filter)).toEqual({ $and: [{ tenantId: A }, filter] });
  });
});

describe('scopeInsert', () => {
  it('stamps the bound tenant', () => {
    expect(scopeInsert(A, { name: 'x' })).toEqual({ name: 'x', tenantId: A });
    expect(scopeInsert(A, { name: 'x', tenantId: A })).toEqual({ name: 'x', tenantId: A });
  });

  it('refuses a document naming another tenant', () => {
    expect(() => scopeInsert(A, { name: 'x', tenantId: B })).toThrow(UnsafeQueryError);
    expect(() => scopeInsert(A, { name: 'x', tenantId: null })).toThrow(UnsafeQueryError);
  });
});

describe('scopeUpdate', () => {
  it('passes an operator update through', () => {
    const update = { $set: { name: 'y' }, $inc: { visits: 1 } };
    expect(scopeUpdate(A, update, { upsert: false })).toEqual(update);
  });

  it.each([
    ['$set tenantId', { $set: { tenantId: B } }],
    ['$set a path under tenantId', { $set: { 'tenantId.x': 1 } }],
    ['$unset tenantId', { $unset: { tenantId: '' } }],
    ['$rename from tenantId', { $rename: { tenantId: 'old' } }],
    ['$rename onto tenantId', { $rename: { other: 'tenantId' } }],
    ['$setOnInsert tenantId', { $setOnInsert: { tenantId: B } }],
    ['$set _id', { $set: { _id: 'cccccccccccccccccccccccc' } }],
    ['$rename onto _id', { $rename: { other: '_id' } }],
  ])('refuses an update touching a protected field: %s', (_case, update) => {
    expect(() => scopeUpdate(A, update, { upsert: false })).toThrow(UnsafeQueryError);
  });

  it('refuses replacement documents, pipeline updates and empty updates', () => {
    expect(() => scopeUpdate(A, { name: 'y', tenantId: B }, { upsert: false })).toThrow(UnsafeQueryError);
    expect(() => scopeUpdate(A, { name: 'y' }, { upsert: false })).toThrow(UnsafeQueryError);
    expect(() => scopeUpdate(A, [{ $set: { a: 1 } }] as never, { upsert: false })).toThrow(UnsafeQueryError);
    expect(() => scopeUpdate(A, {}, { upsert: false })).toThrow(UnsafeQueryError);
  });

  it('does not mistake a field that merely starts with the same letters for tenantId', () => {
    const update = { $set: { tenantIdHint: 'x', _idx: 1 } };
    expect(scopeUpdate(A, update, { upsert: false })).toEqual(update);
  });

  it('stamps the tenant through $setOnInsert on an upsert', () => {
    expect(scopeUpdate(A, { $set: { a: 1 }, $setOnInsert: { b: 2 } }, { upsert: true })).toEqual({
      $set: { a: 1 },
      $setOnInsert: { b: 2, tenantId: A },
    });
  });
});

/** The application's tenant collections (the modules' catalog), which a `$lookup` may join. */
const isTenantCollection = (name: unknown) => collections.isTenant(name);

describe('scopePipeline', () => {
  it('starts every pipeline with a $match on the bound tenant', () => {
    expect(scopePipeline(A, [], isTenantCollection)).toEqual([{ $match: { tenantId: A } }]);
    expect(scopePipeline(A, [{ $group: { _id: '$parkId', n: { $sum: 1 } } }], isTenantCollection)).toEqual([
      { $match: { tenantId: A } },
      { $group: { _id: '$parkId', n: { $sum: 1 } } },
    ]);
  });

  it('rewrites an equality $lookup to also match the foreign tenant', () => {
    const lookup = { from: 'parks', localField: 'parkId', foreignField: '_id', as: 'park' };
    expect(scopePipeline(A, [{ $lookup: lookup }], isTenantCollection)).toEqual([
      { $match: { tenantId: A } },
      { $lookup: { ...lookup, pipeline: [{ $match: { tenantId: A } }] } },
    ]);
  });

  it('prepends the tenant match to a pipeline $lookup and scopes lookups nested in it', () => {
    const pipeline = [
      {
        $lookup: {
          from: 'reservations',
          let: { park: '$_id' },
          pipeline: [
            { $match: { $expr: { $eq: ['$parkId', '$$park'] } } },
            { $lookup: { from: 'parks', localField: 'parkId', foreignField: '_id', as: 'again' } },
          ],
          as: 'reservations',
        },
      },
    ];
    expect(scopePipeline(A, pipeline, isTenantCollection)).toEqual([
      { $match: { tenantId: A } },
      {
        $lookup: {
          from: 'reservations',
          let: { park: '$_id' },
          pipeline: [
            { $match: { tenantId: A } },
            { $match: { $expr: { $eq: ['$parkId', '$$park'] } } },
            {
              $lookup: {
                from: 'parks',
                localField: 'parkId',
                foreignField: '_id',
                as: 'again',
                pipeline: [{ $match: { tenantId: A } }],
              },
            },
          ],
          as: 'reservations',
        },
      },
    ]);
  });

  it('scopes $lookup stages inside $facet', () => {
    const lookup = { from: 'parks', localField: 'parkId', foreignField: '_id', as: 'park' };
    const [, facet] = scopePipeline(
      A,
      [{ $facet: { joined: [{ $lookup: lookup }], total: [{ $count: 'n' }] } }],
      isTenantCollection,
    );
    expect(facet).toEqual({
      $facet: {
        joined: [{ $lookup: { ...lookup, pipeline: [{ $match: { tenantId: A } }] } }],
        total: [{ $count: 'n' }],
      },
    });
  });

  it.each([
    ['a platform collection', 'users'],
    ['an unknown collection', 'system.users'],
    ['another database', { db: 'admin', coll: 'parks' }],
    ['no collection', undefined],
  ])('refuses a $lookup from %s', (_case, from) => {
    const lookup = { from, localField: 'a', foreignField: 'b', as: 'c' };
    expect(() => scopePipeline(A, [{ $lookup: lookup }], isTenantCollection)).toThrow(UnsafeQueryError);
    expect(() => scopePipeline(A, [{ $facet: { f: [{ $lookup: lookup }] } }], isTenantCollection)).toThrow(
      UnsafeQueryError,
    );
  });

  it.each([
    '$unionWith',
    '$graphLookup',
    '$out',
    '$merge',
    '$currentOp',
    '$collStats',
    '$indexStats',
    '$listSessions',
    '$changeStream',
    '$documents',
    '$geoNear',
  ])('refuses the stage %s, also inside $facet and $lookup', (stage) => {
    expect(() => scopePipeline(A, [{ [stage]: {} }], isTenantCollection)).toThrow(UnsafeQueryError);
    expect(() => scopePipeline(A, [{ $facet: { f: [{ [stage]: {} }] } }], isTenantCollection)).toThrow(
      UnsafeQueryError,
    );
    const lookup = { from: 'parks', pipeline: [{ [stage]: {} }], as: 'x' };
    expect(() => scopePipeline(A, [{ $lookup: lookup }], isTenantCollection)).toThrow(UnsafeQueryError);
  });

  it('refuses server-side JavaScript anywhere in the pipeline', () => {
    const fn = { $function: { body: 'return 1', args: [], lang: 'js' } };
    expect(() => scopePipeline(A, [{ $addFields: { x: fn } }], isTenantCollection)).toThrow(UnsafeQueryError);
    expect(() => scopePipeline(A, [{ $group: { _id: null, x: { $accumulator: {} } } }], isTenantCollection)).toThrow(
      UnsafeQueryError,
    );
    expect(() => scopePipeline(A, [{ $match: { $where: 'true' } }], isTenantCollection)).toThrow(UnsafeQueryError);
  });

  it('refuses a $match naming another tenant, also in a $lookup pipeline', () => {
    expect(() => scopePipeline(A, [{ $match: { tenantId: B } }], isTenantCollection)).toThrow(UnsafeQueryError);
    const lookup = { from: 'parks', pipeline: [{ $match: { tenantId: B } }], as: 'x' };
    expect(() => scopePipeline(A, [{ $lookup: lookup }], isTenantCollection)).toThrow(UnsafeQueryError);
  });

  it('refuses malformed stages', () => {
    expect(() => scopePipeline(A, [{ $match: {}, $limit: 1 }], isTenantCollection)).toThrow(UnsafeQueryError);
    expect(() => scopePipeline(A, [{}], isTenantCollection)).toThrow(UnsafeQueryError);
    expect(() => scopePipeline(A, [{ $lookup: { from: 'parks', pipeline: {}, as: 'x' } }], isTenantCollection)).toThrow(
      UnsafeQueryError,
    );
  });
});

import { ObjectId } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { useMongo } from './harness.js';

const mongo = useMongo();
const alice = new ObjectId();
const bob = new ObjectId();

beforeAll(async () => {
  await mongo.db.collection('agg_users').insertMany([
    { _id: alice, name: 'alice', tenantId: 't1' },
    { _id: bob, name: 'bob', tenantId: 't1' },
  ]);
  await mongo.db.collection('agg_orders').insertMany([
    { userId: alice, total: 10, at: new Date('2024-03-01T10:00:00Z'), tenantId: 't1' },
    { userId: alice, total: 5, at: new Date('2024-03-01T18:30:00Z'), tenantId: 't1' },
    { userId: bob, total: 7, at: new Date('2024-03-02T09:00:00Z'), tenantId: 't1' },
    { userId: bob, total: 100, at: new Date('2024-03-02T09:00:00Z'), tenantId: 't2' },
  ]);
});

describe('aggregation', () => {
  it('$count yields one document, and none at all when nothing came in (also inside $lookup)', async () => {
    const orders = mongo.db.collection('agg_orders');
    expect(await orders.aggregate([{ $match: { tenantId: 't1' } }, { $count: 'n' }]).toArray()).toEqual([{ n: 3 }]);
    expect(await orders.aggregate([{ $match: { tenantId: 'none' } }, { $count: 'n' }]).toArray()).toEqual([]);
    const [user] = await mongo.db
      .collection('agg_users')
      .aggregate([
        { $match: { _id: alice } },
        { $lookup: { from: 'agg_orders', pipeline: [{ $match: { tenantId: 'none' } }, { $count: 'n' }], as: 'none' } },
        { $project: { _id: 0, none: 1 } },
      ])
      .toArray();
    expect(user).toEqual({ none: [] });
  });

  it('matches, groups by ObjectId and sorts', async () => {
    const totals = await mongo.db
      .collection('agg_orders')
      .aggregate([
        { $match: { tenantId: 't1' } },
        { $group: { _id: '$userId', sum: { $sum: '$total' }, orders: { $sum: 1 } } },
        { $sort: { sum: -1 } },
      ])
      .toArray();
    expect(totals).toEqual([
      { _id: alice, sum: 15, orders: 2 },
      { _id: bob, sum: 7, orders: 1 },
    ]);
  });

  it('groups by day with $dateToString', async () => {
    const perDay = await mongo.db
      .collection('agg_orders')
      .aggregate([
        { $match: { tenantId: 't1' } },
        { $group: { _id: { $dateToString: { format: '%Y-%m-%d', date: '$at' } }, total: { $sum: '$total' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(perDay).toEqual([
      { _id: '2024-03-01', total: 15 },
      { _id: '2024-03-02', total: 7 },
    ]);
  });

  it('joins with $lookup on ObjectId fields', async () => {
    const joined = await mongo.db
      .collection('agg_users')
      .aggregate([
        { $lookup: { from: 'agg_orders', localField: '_id', foreignField: 'userId', as: 'orders' } },
        { $project: { _id: 0, name: 1, count: { $size: '$orders' } } },
        { $sort: { name: 1 } },
      ])
      .toArray();
    expect(joined).toEqual([
      { name: 'alice', count: 2 },
      { name: 'bob', count: 2 },
    ]);
  });

  it('joins with a $lookup sub-pipeline', async () => {
    const joined = await mongo.db
      .collection('agg_users')
      .aggregate([
        { $match: { name: 'bob' } },
        {
          $lookup: {
            from: 'agg_orders',
            let: { user: '$_id', tenant: '$tenantId' },
            pipeline: [
              { $match: { $expr: { $and: [{ $eq: ['$userId', '$$user'] }, { $eq: ['$tenantId', '$$tenant'] }] } } },
            ],
            as: 'orders',
          },
        },
      ])
      .toArray();
    expect(joined).toHaveLength(1);
    expect(joined[0]?.orders.map((order: { total: number }) => order.total)).toEqual([7]);
  });

  it('runs $facet and $count', async () => {
    const [facets] = await mongo.db
      .collection('agg_orders')
      .aggregate([
        {
          $facet: {
            big: [{ $match: { total: { $gte: 10 } } }, { $count: 'n' }],
            tenants: [{ $group: { _id: '$tenantId' } }, { $sort: { _id: 1 } }],
          },
        },
      ])
      .toArray();
    expect(facets).toEqual({ big: [{ n: 2 }], tenants: [{ _id: 't1' }, { _id: 't2' }] });
  });

  it('truncates dates with $dateTrunc', async () => {
    const days = await mongo.db
      .collection('agg_orders')
      .aggregate([
        { $match: { tenantId: 't2' } },
        { $project: { _id: 0, day: { $dateTrunc: { date: '$at', unit: 'day' } } } },
      ])
      .toArray();
    expect(days).toEqual([{ day: new Date('2024-03-02T00:00:00Z') }]);
  });

  it('never changes stored documents, whatever the stages do to their output', async () => {
    const notes = mongo.db.collection('agg_untouched');
    await notes.insertOne({ _id: 'n' as never, meta: { a: 1, list: [1, 2] }, body: 'text' });
    await notes.aggregate([{ $addFields: { 'meta.b': 2 } }, { $unset: ['meta.a', 'body'] }]).toArray();
    await notes.aggregate([{ $set: { 'meta.list': 'replaced' } }]).toArray();
    await notes
      .aggregate([
        { $lookup: { from: 'agg_untouched', localField: '_id', foreignField: '_id', as: 'self' } },
        { $set: { 'self.meta': null } },
      ])
      .toArray();
    await notes.find({}, { projection: { 'meta.a': 0 } }).toArray();
    expect(await notes.findOne({ _id: 'n' as never })).toEqual({
      _id: 'n',
      meta: { a: 1, list: [1, 2] },
      body: 'text',
    });
  });

  it('runs $setWindowFields', async () => {
    const ranked = await mongo.db
      .collection('agg_orders')
      .aggregate([
        { $match: { tenantId: 't1' } },
        {
          $setWindowFields: {
            sortBy: { total: -1 },
            output: {
              rank: { $rank: {} },
              running: { $sum: '$total', window: { documents: ['unbounded', 'current'] } },
            },
          },
        },
        { $project: { _id: 0, total: 1, rank: 1, running: 1 } },
      ])
      .toArray();
    expect(ranked).toEqual([
      { total: 10, rank: 1, running: 10 },
      { total: 7, rank: 2, running: 17 },
      { total: 5, rank: 3, running: 22 },
    ]);
  });

  it('counts documents with countDocuments (an aggregate) and skip/limit', async () => {
    const orders = mongo.db.collection('agg_orders');
    expect(await orders.countDocuments({ tenantId: 't1' })).toBe(3);
    expect(await orders.countDocuments({}, { skip: 1, limit: 2 })).toBe(2);
  });
});

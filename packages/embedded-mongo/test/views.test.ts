import type { Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { serverError, useMongo } from './harness.js';

/** Read-only views as MongoDB's manual describes them (create with viewOn and pipeline, reads, refusals). */
const mongo = useMongo();

type Doc = Document & { _id?: number | string };

async function orders(name: string): Promise<void> {
  await mongo.db.collection<Doc>(name).insertMany([
    { _id: 1, item: 'apple', qty: 5, status: 'open' },
    { _id: 2, item: 'Banana', qty: 12, status: 'open' },
    { _id: 3, item: 'cherry', qty: 7, status: 'closed' },
    { _id: 4, item: 'date', qty: 20, status: 'open' },
  ]);
}

const openOrders = [{ $match: { status: 'open' } }, { $project: { status: 0 } }];

describe('reading a view', () => {
  it('runs find with its filter, sort, skip, limit and projection after the view pipeline', async () => {
    await orders('view_orders');
    await mongo.db.createCollection('view_open', { viewOn: 'view_orders', pipeline: openOrders });
    const view = mongo.db.collection<Doc>('view_open');
    expect(await view.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, item: 'apple', qty: 5 },
      { _id: 2, item: 'Banana', qty: 12 },
      { _id: 4, item: 'date', qty: 20 },
    ]);
    const page = await view
      .find({ qty: { $gt: 5 } }, { projection: { _id: 0, item: 1 } })
      .sort({ qty: -1 })
      .skip(1)
      .limit(1)
      .toArray();
    expect(page).toEqual([{ item: 'Banana' }]);
    expect(await view.findOne({ status: 'closed' })).toBeNull();
  });

  it('counts, answers distinct and aggregates over the view', async () => {
    await orders('view_orders_agg');
    await mongo.db.createCollection('view_open_agg', { viewOn: 'view_orders_agg', pipeline: openOrders });
    const view = mongo.db.collection<Doc>('view_open_agg');
    expect(await view.countDocuments()).toBe(3);
    expect(await view.countDocuments({ qty: { $lt: 15 } })).toBe(2);
    const count = await mongo.db.command({ count: 'view_open_agg', query: { qty: { $gte: 12 } } });
    expect(count.n).toBe(2);
    expect(await view.distinct('item', { qty: { $gt: 6 } })).toEqual(['Banana', 'date']);
    const totals = await view.aggregate([{ $group: { _id: null, qty: { $sum: '$qty' } } }]).toArray();
    expect(totals).toEqual([{ _id: null, qty: 37 }]);
  });

  it('stacks views on views, each pipeline after the one below', async () => {
    await orders('view_orders_stack');
    await mongo.db.createCollection('view_stack_open', { viewOn: 'view_orders_stack', pipeline: openOrders });
    await mongo.db.createCollection('view_stack_big', {
      viewOn: 'view_stack_open',
      pipeline: [{ $match: { qty: { $gte: 10 } } }, { $set: { big: true } }],
    });
    const big = await mongo.db.collection<Doc>('view_stack_big').find().sort({ _id: 1 }).toArray();
    expect(big).toEqual([
      { _id: 2, item: 'Banana', qty: 12, big: true },
      { _id: 4, item: 'date', qty: 20, big: true },
    ]);
  });

  it('is read by $lookup like a collection', async () => {
    await orders('view_orders_lookup');
    await mongo.db.createCollection('view_lookup_open', { viewOn: 'view_orders_lookup', pipeline: openOrders });
    const items = mongo.db.collection<Doc>('view_lookup_items');
    await items.insertMany([
      { _id: 'apple', colour: 'red' },
      { _id: 'cherry', colour: 'dark red' },
    ]);
    const joined = await items
      .aggregate([
        { $lookup: { from: 'view_lookup_open', localField: '_id', foreignField: 'item', as: 'open' } },
        { $project: { open: { $size: '$open' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(joined).toEqual([
      { _id: 'apple', open: 1 },
      { _id: 'cherry', open: 0 },
    ]);
  });

  it('reads under its own collation and refuses another', async () => {
    await orders('view_orders_collation');
    await mongo.db.createCollection('view_collated', {
      viewOn: 'view_orders_collation',
      pipeline: [],
      collation: { locale: 'en', strength: 2 },
    });
    const view = mongo.db.collection<Doc>('view_collated');
    expect(await view.countDocuments({ item: 'BANANA' })).toBe(1);
    expect((await view.find().sort({ item: 1 }).toArray()).map((doc) => doc._id)).toEqual([1, 2, 3, 4]);
    const error = await serverError(view.find({}, { collation: { locale: 'fr' } }).toArray());
    expect(error.code).toBe(167);
  });
});

describe('the catalog of views', () => {
  it('lists a view with its type and options, and drops it', async () => {
    await mongo.db.createCollection('view_listed', { viewOn: 'view_listed_source', pipeline: openOrders });
    const [listed] = await mongo.db
      .listCollections({ type: 'view', name: 'view_listed' }, { nameOnly: false })
      .toArray();
    expect(listed).toMatchObject({ name: 'view_listed', type: 'view', info: { readOnly: true } });
    expect(listed?.options).toEqual({ viewOn: 'view_listed_source', pipeline: openOrders });
    expect(await mongo.db.collection('view_listed').drop()).toBe(true);
    expect(await mongo.db.listCollections({ name: 'view_listed' }).toArray()).toEqual([]);
  });

  it('changes a view with collMod viewOn and pipeline', async () => {
    await orders('view_mod_a');
    await mongo.db.collection<Doc>('view_mod_b').insertOne({ _id: 'b', item: 'fig', qty: 1, status: 'open' });
    await mongo.db.createCollection('view_mod', { viewOn: 'view_mod_a', pipeline: openOrders });
    await mongo.db.command({ collMod: 'view_mod', viewOn: 'view_mod_b', pipeline: [{ $project: { item: 1 } }] });
    expect(await mongo.db.collection<Doc>('view_mod').find().toArray()).toEqual([{ _id: 'b', item: 'fig' }]);
    const [listed] = await mongo.db.listCollections({ name: 'view_mod' }, { nameOnly: false }).toArray();
    expect(listed?.options).toEqual({ viewOn: 'view_mod_b', pipeline: [{ $project: { item: 1 } }] });
  });

  it('refuses a view that would depend on itself', async () => {
    await mongo.db.createCollection('view_cycle_a', { viewOn: 'view_cycle_source', pipeline: [] });
    await mongo.db.createCollection('view_cycle_b', { viewOn: 'view_cycle_a', pipeline: [] });
    const error = await serverError(
      mongo.db.command({ collMod: 'view_cycle_a', viewOn: 'view_cycle_b', pipeline: [] }),
    );
    expect(error.code).toBe(5);
    const [listed] = await mongo.db.listCollections({ name: 'view_cycle_a' }, { nameOnly: false }).toArray();
    expect(listed?.options?.viewOn).toBe('view_cycle_source');
  });

  it('refuses a name a collection or view already has', async () => {
    await mongo.db.createCollection('view_taken_coll');
    const onCollection = await serverError(
      mongo.db.createCollection('view_taken_coll', { viewOn: 'elsewhere', pipeline: [] }),
    );
    expect(onCollection.code).toBe(48);
    await mongo.db.createCollection('view_taken', { viewOn: 'elsewhere', pipeline: [] });
    const onView = await serverError(mongo.db.command({ create: 'view_taken' }));
    expect(onView.code).toBe(48);
  });
});

describe('what a view refuses', () => {
  it('refuses writes, index builds and change streams with CommandNotSupportedOnView, changing nothing', async () => {
    await orders('view_ro_source');
    await mongo.db.createCollection('view_ro', { viewOn: 'view_ro_source', pipeline: openOrders });
    const view = mongo.db.collection<Doc>('view_ro');
    const attempts: (() => Promise<unknown>)[] = [
      () => view.insertOne({ _id: 9, item: 'kiwi', status: 'open' }),
      () => view.updateOne({ _id: 1 }, { $set: { qty: 0 } }),
      () => view.deleteMany({}),
      () => view.findOneAndUpdate({ _id: 1 }, { $set: { qty: 0 } }),
      () => view.createIndex({ item: 1 }),
    ];
    for (const attempt of attempts) expect((await serverError(attempt())).code).toBe(166);
    const stream = view.watch();
    expect((await serverError(stream.tryNext())).code).toBe(166);
    await stream.close();
    expect(await mongo.db.collection<Doc>('view_ro_source').countDocuments({ qty: 0 })).toBe(0);
    expect(await view.countDocuments()).toBe(3);
  });
});

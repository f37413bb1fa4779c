import { describe, expect, it } from 'vitest';
import { useMongo } from './harness.js';

const mongo = useMongo();

describe('CRUD through the driver', () => {
  it('inserts and reads back documents, assigning ObjectIds', async () => {
    const people = mongo.db.collection('crud_people');
    const result = await people.insertMany([
      { name: 'ada', age: 36 },
      { name: 'alan', age: 41 },
    ]);
    expect(result.insertedCount).toBe(2);
    const found = await people.find({}, { projection: { _id: 0 } }).toArray();
    expect(found).toEqual([
      { name: 'ada', age: 36 },
      { name: 'alan', age: 41 },
    ]);
    const byId = await people.findOne({ _id: result.insertedIds[1] });
    expect(byId?.name).toBe('alan');
  });

  it('applies $set, $inc, $push, $pull, $unset and $addToSet', async () => {
    interface Item {
      _id: number;
      count: number;
      tags: string[];
      note?: string;
      set: number[];
      nested?: { flag: boolean };
    }
    const items = mongo.db.collection<Item>('crud_operators');
    await items.insertOne({ _id: 1, count: 1, tags: ['a', 'b', 'c'], note: 'x', set: [1] });
    const result = await items.updateOne(
      { _id: 1 },
      {
        $set: { 'nested.flag': true },
        $inc: { count: 4 },
        $push: { tags: 'd' },
        $unset: { note: '' },
        $addToSet: { set: { $each: [1, 2] } },
      },
    );
    expect(result).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    await items.updateOne({ _id: 1 }, { $pull: { tags: { $in: ['a', 'c'] } } });
    expect(await items.findOne({ _id: 1 })).toEqual({
      _id: 1,
      count: 5,
      tags: ['b', 'd'],
      set: [1, 2],
      nested: { flag: true },
    });
  });

  it('reports an update that changes nothing as matched but not modified', async () => {
    const items = mongo.db.collection('crud_noop');
    await items.insertOne({ _id: 1 as never, v: 1 });
    expect(await items.updateOne({ _id: 1 as never }, { $set: { v: 1 } })).toMatchObject({
      matchedCount: 1,
      modifiedCount: 0,
    });
  });

  it('updates array elements selected by arrayFilters and the positional operator', async () => {
    const orders = mongo.db.collection('crud_array_filters');
    await orders.insertOne({
      _id: 1 as never,
      lines: [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 2 },
        { sku: 'c', qty: 3 },
      ],
    });
    await orders.updateOne(
      { _id: 1 as never },
      { $mul: { 'lines.$[big].qty': 10 } },
      { arrayFilters: [{ 'big.qty': { $gte: 2 } }] },
    );
    await orders.updateOne({ _id: 1 as never, 'lines.sku': 'a' }, { $set: { 'lines.$.qty': 7 } });
    const order = await orders.findOne({ _id: 1 as never });
    expect(order?.lines).toEqual([
      { sku: 'a', qty: 7 },
      { sku: 'b', qty: 20 },
      { sku: 'c', qty: 30 },
    ]);
  });

  it('upserts from the filter equality fields and $setOnInsert', async () => {
    const counters = mongo.db.collection('crud_upsert');
    const first = await counters.updateOne(
      { tenant: 't1', key: 'visits' },
      { $inc: { n: 1 }, $setOnInsert: { created: 'now' } },
      { upsert: true },
    );
    expect(first.upsertedCount).toBe(1);
    expect(first.upsertedId).toBeTruthy();
    const second = await counters.updateOne(
      { tenant: 't1', key: 'visits' },
      { $inc: { n: 1 }, $setOnInsert: { created: 'later' } },
      { upsert: true },
    );
    expect(second).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    const doc = await counters.findOne({ tenant: 't1' }, { projection: { _id: 0 } });
    expect(doc).toEqual({ tenant: 't1', key: 'visits', n: 2, created: 'now' });
  });

  it('updates many documents and replaces one', async () => {
    const tasks = mongo.db.collection('crud_many');
    await tasks.insertMany([
      { n: 1, done: false },
      { n: 2, done: false },
      { n: 3, done: true },
    ]);
    const many = await tasks.updateMany({ done: false }, { $set: { done: true } });
    expect(many).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    expect(await tasks.countDocuments({ done: true })).toBe(3);
    const replaced = await tasks.replaceOne({ n: 3 }, { n: 30, replaced: true });
    expect(replaced.modifiedCount).toBe(1);
    expect(await tasks.findOne({ n: 30 }, { projection: { _id: 0 } })).toEqual({ n: 30, replaced: true });
  });

  it('rejects an update that would change _id', async () => {
    const items = mongo.db.collection('crud_immutable_id');
    await items.insertOne({ _id: 1 as never });
    await expect(items.updateOne({ _id: 1 as never }, { $set: { _id: 2 as never } })).rejects.toMatchObject({
      code: 66,
    });
    await expect(items.replaceOne({ _id: 1 as never }, { _id: 3 as never, x: 1 })).rejects.toMatchObject({ code: 66 });
  });

  it('deletes one or many', async () => {
    const logs = mongo.db.collection('crud_delete');
    await logs.insertMany([{ level: 'info' }, { level: 'info' }, { level: 'error' }]);
    expect((await logs.deleteOne({ level: 'info' })).deletedCount).toBe(1);
    expect((await logs.deleteMany({})).deletedCount).toBe(2);
    expect(await logs.countDocuments()).toBe(0);
  });

  it('sorts, skips, limits and projects', async () => {
    const scores = mongo.db.collection('crud_sort');
    await scores.insertMany([5, 3, 9, 1, 7].map((score, i) => ({ player: `p${i}`, score, extra: 'x' })));
    const page = await scores
      .find({}, { projection: { _id: 0, extra: 0 } })
      .sort({ score: -1 })
      .skip(1)
      .limit(2)
      .toArray();
    expect(page).toEqual([
      { player: 'p4', score: 7 },
      { player: 'p0', score: 5 },
    ]);
    const included = await scores
      .find({ score: { $lt: 4 } })
      .project({ score: 1, _id: 0 })
      .sort({ score: 1 })
      .toArray();
    expect(included).toEqual([{ score: 1 }, { score: 3 }]);
  });

  it('finds and modifies atomically, returning the document before or after', async () => {
    const seats = mongo.db.collection('crud_find_and_modify');
    await seats.insertMany([
      { seat: 1, taken: false },
      { seat: 2, taken: false },
    ]);
    const before = await seats.findOneAndUpdate({ taken: false }, { $set: { taken: true } }, { sort: { seat: -1 } });
    expect(before).toMatchObject({ seat: 2, taken: false });
    const after = await seats.findOneAndUpdate(
      { taken: false },
      { $set: { taken: true } },
      { returnDocument: 'after', projection: { _id: 0 } },
    );
    expect(after).toEqual({ seat: 1, taken: true });
    expect(await seats.findOneAndUpdate({ taken: false }, { $set: { taken: true } })).toBeNull();
    const upserted = await seats.findOneAndUpdate(
      { seat: 3 },
      { $set: { taken: true } },
      { upsert: true, returnDocument: 'after' },
    );
    expect(upserted).toMatchObject({ seat: 3, taken: true });
    const removed = await seats.findOneAndDelete({ seat: 1 });
    expect(removed?.seat).toBe(1);
    expect(await seats.countDocuments()).toBe(2);
  });

  it('counts and lists distinct values', async () => {
    const visits = mongo.db.collection('crud_distinct');
    await visits.insertMany([
      { city: 'Oslo', tags: ['a', 'b'] },
      { city: 'Rome', tags: ['b'] },
      { city: 'Oslo', tags: [] },
    ]);
    expect(await visits.countDocuments({ city: 'Oslo' })).toBe(2);
    expect(await visits.estimatedDocumentCount()).toBe(3);
    expect((await visits.distinct('city')).sort()).toEqual(['Oslo', 'Rome']);
    expect((await visits.distinct('tags', { city: 'Oslo' })).sort()).toEqual(['a', 'b']);
  });

  it('lists, creates and drops collections and databases', async () => {
    await mongo.db.createCollection('crud_created');
    await expect(mongo.db.createCollection('crud_created')).rejects.toMatchObject({ code: 48 });
    const names = (await mongo.db.listCollections({}, { nameOnly: true }).toArray()).map((entry) => entry.name);
    expect(names).toContain('crud_created');
    expect(await mongo.db.collection('crud_created').drop()).toBe(true);
    const after = (await mongo.db.listCollections().toArray()).map((entry) => entry.name);
    expect(after).not.toContain('crud_created');
    const databases = await mongo.client.db().admin().listDatabases();
    expect(databases.databases.map((entry) => entry.name)).toContain(mongo.db.databaseName);
  });
});

import type { Collection, Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { serverError, useMongo } from './harness.js';

/**
 * Behaviours of MongoDB 7.0 as its manual describes them, checked through the official driver;
 * each group once answered differently here.
 */
const mongo = useMongo();

type Doc = Document & { _id?: string | number | null | Record<string, number> };

function coll(name: string): Collection<Doc> {
  return mongo.db.collection<Doc>(name);
}

describe('field names with dots and dollars (MongoDB 5.0+)', () => {
  it('stores them as given in inserts and replacements', async () => {
    const items = coll('fid_names');
    await items.insertOne({ _id: 1, 'a.b': 1, $price: 2 });
    expect(await items.findOne({ _id: 1 })).toEqual({ _id: 1, 'a.b': 1, $price: 2 });
    await items.replaceOne({ _id: 1 }, { 'c.d': 3 });
    expect(await items.findOne({ _id: 1 })).toEqual({ _id: 1, 'c.d': 3 });
  });

  it('sets one with $setField in a pipeline update, where $set would follow the path', async () => {
    const items = coll('fid_setfield');
    await items.insertOne({ _id: 1 });
    await items.updateOne({ _id: 1 }, [
      { $replaceWith: { $setField: { field: 'price.usd', input: '$$ROOT', value: 5 } } },
    ]);
    await items.updateOne({ _id: 1 }, { $set: { 'price.eur': 4 } });
    expect(await items.findOne({ _id: 1 })).toEqual({ _id: 1, 'price.usd': 5, price: { eur: 4 } });
  });
});

describe('updates', () => {
  it('keeps _id when an update pipeline leaves it out', async () => {
    const items = coll('fid_pipeline_id');
    await items.insertOne({ _id: 'k', a: 1, b: 2 });
    await items.updateOne({ _id: 'k' }, [{ $project: { _id: 0, a: 1 } }]);
    expect(await items.findOne({ _id: 'k' })).toEqual({ _id: 'k', a: 1 });
    await items.updateOne({ _id: 'k' }, [{ $replaceWith: { c: 3 } }]);
    expect(await items.findOne({ _id: 'k' })).toEqual({ _id: 'k', c: 3 });
  });

  it('refuses a stage an update pipeline may not use, and changes nothing', async () => {
    const items = coll('fid_pipeline_stage');
    await items.insertOne({ _id: 1, a: 1 });
    const error = await serverError(items.updateOne({ _id: 1 }, [{ $match: { a: 1 } }]));
    expect(error.code).toBe(72);
    expect(await items.findOne({ _id: 1 })).toEqual({ _id: 1, a: 1 });
  });

  it('stores _id: null from an upsert or a replacement upsert, rather than generating one', async () => {
    const updated = coll('fid_null_upsert');
    const result = await updated.updateOne({ _id: null }, { $set: { a: 1 } }, { upsert: true });
    expect(result.upsertedCount).toBe(1);
    expect(await updated.find().toArray()).toEqual([{ _id: null, a: 1 }]);
    const replaced = coll('fid_null_replace');
    await replaced.replaceOne({ _id: null }, { b: 2 }, { upsert: true });
    expect(await replaced.find().toArray()).toEqual([{ _id: null, b: 2 }]);
  });

  it('refuses sort in an update statement, as 7.0 does, and changes nothing', async () => {
    const items = coll('fid_update_sort');
    await items.insertMany([
      { _id: 1, n: 2 },
      { _id: 2, n: 1 },
    ]);
    const error = await serverError(
      mongo.db.command({ update: 'fid_update_sort', updates: [{ q: {}, u: { $set: { hit: true } }, sort: { n: 1 } }] }),
    );
    expect(error.code).toBe(40415);
    expect(await items.countDocuments({ hit: true })).toBe(0);
  });

  it('refuses an _id holding $-prefixed fields', async () => {
    const items = coll('fid_dollar_id');
    const error = await serverError(items.insertOne({ _id: { $bad: 1 } }));
    expect(error.code).toBe(52);
    expect(await items.countDocuments()).toBe(0);
  });
});

describe('let variables', () => {
  it('are read as $$name in find, aggregate, update and delete', async () => {
    const items = coll('fid_let');
    await items.insertMany([
      { _id: 1, size: 'S' },
      { _id: 2, size: 'L' },
    ]);
    const wanted = { $expr: { $eq: ['$size', '$$wanted'] } };
    expect(await items.find(wanted, { let: { wanted: 'L' } }).toArray()).toEqual([{ _id: 2, size: 'L' }]);
    expect(
      await items
        .aggregate([{ $match: wanted }, { $project: { _id: 1, tag: '$$tag' } }], { let: { wanted: 'S', tag: 'x' } })
        .toArray(),
    ).toEqual([{ _id: 1, tag: 'x' }]);
    await items.updateOne(wanted, [{ $set: { seen: '$$stamp' } }], { let: { wanted: 'S', stamp: 7 } });
    expect(await items.findOne({ _id: 1 })).toEqual({ _id: 1, size: 'S', seen: 7 });
    await items.deleteMany(wanted, { let: { wanted: 'L' } });
    expect(await items.countDocuments()).toBe(1);
  });

  it('are expressions, evaluated once for the command', async () => {
    const items = coll('fid_let_expressions');
    await items.insertMany([{ _id: 1 }, { _id: 2 }]);
    const variables = { literal: { $literal: '$not.a.path' }, sum: { $add: [1, 2] }, random: { $rand: {} } };
    const projected = await items
      .aggregate([{ $project: { literal: '$$literal', sum: '$$sum', random: '$$random' } }], { let: variables })
      .toArray();
    expect(projected.map(({ literal, sum }) => ({ literal, sum }))).toEqual([
      { literal: '$not.a.path', sum: 3 },
      { literal: '$not.a.path', sum: 3 },
    ]);
    expect(typeof projected[0]?.random).toBe('number');
    expect(projected[1]?.random).toBe(projected[0]?.random);
    await items.updateMany({}, [{ $set: { stored: '$$literal' } }], { let: variables });
    expect(await items.distinct('stored')).toEqual(['$not.a.path']);
  });
});

describe('collation', () => {
  it('accepts the simple collation, which compares binary as without one', async () => {
    const items = coll('fid_collation');
    await items.insertMany([{ name: 'b' }, { name: 'B' }, { name: 'a' }]);
    const names = await items
      .find({}, { collation: { locale: 'simple' }, projection: { _id: 0 } })
      .sort({ name: 1 })
      .toArray();
    expect(names.map((doc) => doc.name)).toEqual(['B', 'a', 'b']);
  });
});

describe('change stream errors', () => {
  it('answers an unknown stage with 40324', async () => {
    const stream = coll('fid_cs').watch([{ $unknownStage: {} }]);
    const error = await serverError(stream.tryNext());
    expect(error.code).toBe(40324);
    await stream.close();
  });

  it('labels an error no resume can fix NonResumableChangeStreamError', async () => {
    const stream = coll('fid_cs_label').watch([{ $project: { _id: 0 } }], { maxAwaitTimeMS: 200 });
    expect(await stream.tryNext()).toBeNull();
    await coll('fid_cs_label').insertOne({ x: 1 });
    const error = await serverError(stream.next());
    expect(error.code).toBe(280);
    expect(error.hasErrorLabel('NonResumableChangeStreamError')).toBe(true);
    await stream.close();
  });
});

describe('renameCollection and collMod', () => {
  it('renames a collection with its documents and indexes, and refuses an existing target unless dropTarget', async () => {
    const source = coll('fid_rename_from');
    await source.insertOne({ _id: 1, k: 'a' });
    await source.createIndex({ k: 1 }, { unique: true, name: 'k_unique' });
    await coll('fid_rename_busy').insertOne({ _id: 'busy' });
    const admin = mongo.client.db('admin');
    const rename = (to: string, dropTarget?: boolean) =>
      admin.command({
        renameCollection: `${mongo.db.databaseName}.fid_rename_from`,
        to: `${mongo.db.databaseName}.${to}`,
        ...(dropTarget === undefined ? {} : { dropTarget }),
      });
    expect((await serverError(rename('fid_rename_busy'))).code).toBe(48);
    await rename('fid_rename_to');
    const renamed = coll('fid_rename_to');
    expect(await renamed.find().toArray()).toEqual([{ _id: 1, k: 'a' }]);
    expect((await renamed.indexes()).map((index) => index.name)).toEqual(['_id_', 'k_unique']);
    expect(await mongo.db.listCollections({ name: 'fid_rename_from' }).toArray()).toEqual([]);
    await admin.command({
      renameCollection: `${mongo.db.databaseName}.fid_rename_to`,
      to: `${mongo.db.databaseName}.fid_rename_busy`,
      dropTarget: true,
    });
    expect(await coll('fid_rename_busy').find().toArray()).toEqual([{ _id: 1, k: 'a' }]);
    expect((await serverError(rename('anything'))).code).toBe(26);
  });

  it('changes the validator and an index expireAfterSeconds with collMod', async () => {
    await mongo.db.createCollection('fid_collmod', { validator: { n: { $type: 'number' } } });
    const items = coll('fid_collmod');
    await items.createIndex({ at: 1 }, { expireAfterSeconds: 60, name: 'at_ttl' });
    await mongo.db.command({ collMod: 'fid_collmod', validator: { n: { $type: 'string' } } });
    await items.insertOne({ n: 'now a string' });
    expect((await serverError(items.insertOne({ n: 1 }))).code).toBe(121);
    const reply = await mongo.db.command({
      collMod: 'fid_collmod',
      index: { name: 'at_ttl', expireAfterSeconds: 120 },
    });
    expect(reply).toMatchObject({ expireAfterSeconds_old: 60, expireAfterSeconds_new: 120 });
    expect((await items.indexes()).find((index) => index.name === 'at_ttl')).toMatchObject({ expireAfterSeconds: 120 });
  });
});

describe('$out and $merge', () => {
  it('refuse a linearizable read concern, writing nothing', async () => {
    const source = coll('fid_out_linearizable');
    await source.insertOne({ _id: 1 });
    const error = await serverError(
      source.aggregate([{ $out: 'fid_out_linearizable_target' }], { readConcern: { level: 'linearizable' } }).toArray(),
    );
    expect(error.code).toBe(72);
    expect(await coll('fid_out_linearizable_target').countDocuments()).toBe(0);
  });

  it('$out replaces the target collection with the results', async () => {
    const source = coll('fid_out_source');
    await source.insertMany([
      { _id: 1, n: 1 },
      { _id: 2, n: 2 },
      { _id: 3, n: 3 },
    ]);
    await coll('fid_out_target').insertOne({ _id: 'old' });
    const returned = await source.aggregate([{ $match: { n: { $gte: 2 } } }, { $out: 'fid_out_target' }]).toArray();
    expect(returned).toEqual([]);
    expect(await coll('fid_out_target').find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 2, n: 2 },
      { _id: 3, n: 3 },
    ]);
  });

  it('$merge inserts new documents and merges matched ones by _id', async () => {
    const source = coll('fid_merge_source');
    await source.insertMany([
      { _id: 1, total: 10 },
      { _id: 2, total: 20 },
    ]);
    const target = coll('fid_merge_target');
    await target.insertOne({ _id: 1, name: 'kept', total: 0 });
    await source.aggregate([{ $merge: { into: 'fid_merge_target' } }]).toArray();
    expect(await target.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, name: 'kept', total: 10 },
      { _id: 2, total: 20 },
    ]);
    await source
      .aggregate([{ $merge: { into: 'fid_merge_target', whenMatched: 'replace', whenNotMatched: 'discard' } }])
      .toArray();
    expect(await target.findOne({ _id: 1 })).toEqual({ _id: 1, total: 10 });
    const failing = source.aggregate([{ $merge: { into: 'fid_merge_target', whenMatched: 'fail' } }]).toArray();
    expect((await serverError(failing)).code).toBe(11000);
  });

  it('refuses $out anywhere but last', async () => {
    const error = await serverError(
      coll('fid_out_source')
        .aggregate([{ $out: 'x' }, { $match: {} }])
        .toArray(),
    );
    expect(error.code).toBe(40601);
  });
});

describe('$listLocalSessions', () => {
  it("lists the sessions the server has seen, this client's among them, as { _id: { id, uid }, lastUse }", async () => {
    const session = mongo.client.startSession();
    await mongo.db.command({ ping: 1 }, { session });
    const sessions = await mongo.client
      .db('admin')
      .aggregate([{ $listLocalSessions: {} }, { $match: { '_id.id': session.id?.id } }])
      .toArray();
    await session.endSession();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?._id.uid.buffer.length).toBe(32);
    expect(sessions[0]?.lastUse).toBeInstanceOf(Date);
  });

  it('runs only as a database aggregate', async () => {
    const error = await serverError(
      coll('fid_sessions')
        .aggregate([{ $listLocalSessions: {} }])
        .toArray(),
    );
    expect(error.code).toBe(73);
  });
});

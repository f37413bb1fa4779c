import type { CollationOptions, Collection, Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { embedded, serverError, useMongo } from './harness.js';

/** Collation as MongoDB's manual describes it (the collation document, its strengths, where it applies). */
const mongo = useMongo();

type Doc = Document & { _id?: number | string };

const caseInsensitive: CollationOptions = { locale: 'en', strength: 2 };
const baseOnly: CollationOptions = { locale: 'en', strength: 1 };

async function filled(name: string, documents: Doc[]): Promise<Collection<Doc>> {
  const collection = mongo.db.collection<Doc>(name);
  await collection.insertMany(documents);
  return collection;
}

async function listedOptions(name: string): Promise<Document | undefined> {
  const [info] = await mongo.db.listCollections({ name }, { nameOnly: false }).toArray();
  return info?.options;
}

const ids = (documents: Doc[]): unknown[] => documents.map((document) => document._id);

describe('collation in query filters', () => {
  const words = [
    { _id: 1, word: 'café', tags: ['Blue', 'green'] },
    { _id: 2, word: 'CAFÉ', tags: ['red'] },
    { _id: 3, word: 'cafe', tags: [] },
    { _id: 4, word: 'tea', tags: ['BLUE'] },
  ];

  it('compares strings at the requested strength in $eq, $ne, $in and $nin', async () => {
    const items = await filled('coll_filters', words);
    expect(ids(await items.find({ word: 'café' }).toArray())).toEqual([1]);
    expect(ids(await items.find({ word: 'café' }, { collation: caseInsensitive }).toArray())).toEqual([1, 2]);
    expect(ids(await items.find({ word: 'cafe' }, { collation: baseOnly }).toArray())).toEqual([1, 2, 3]);
    expect(ids(await items.find({ word: { $ne: 'Café' } }, { collation: caseInsensitive }).toArray())).toEqual([3, 4]);
    expect(ids(await items.find({ word: { $in: ['CAFE', 'TEA'] } }, { collation: caseInsensitive }).toArray())).toEqual(
      [3, 4],
    );
    expect(ids(await items.find({ word: { $nin: ['CAFE', 'TEA'] } }, { collation: baseOnly }).toArray())).toEqual([]);
  });

  it('matches array elements under the collation', async () => {
    const items = await filled('coll_arrays', words);
    expect(ids(await items.find({ tags: 'blue' }).toArray())).toEqual([]);
    expect(ids(await items.find({ tags: 'blue' }, { collation: caseInsensitive }).toArray())).toEqual([1, 4]);
    expect(ids(await items.find({ tags: { $in: ['RED'] } }, { collation: caseInsensitive }).toArray())).toEqual([2]);
  });

  it('orders strings by the locale in $gt and $lt', async () => {
    const items = await filled('coll_ranges', [
      { _id: 1, name: 'apple' },
      { _id: 2, name: 'Banana' },
      { _id: 3, name: 'cherry' },
    ]);
    // Binary order puts every capital first; the locale's order puts 'Banana' between the two.
    expect(ids(await items.find({ name: { $gt: 'apple' } }).toArray())).toEqual([3]);
    expect(ids(await items.find({ name: { $gt: 'apple' } }, { collation: { locale: 'en' } }).toArray())).toEqual([
      2, 3,
    ]);
    expect(ids(await items.find({ name: { $lte: 'BANANA' } }, { collation: caseInsensitive }).toArray())).toEqual([
      1, 2,
    ]);
  });

  it('counts with the collation', async () => {
    const items = await filled('coll_count', words);
    expect(await items.countDocuments({ word: 'CAFE' })).toBe(0);
    expect(await items.countDocuments({ word: 'CAFE' }, { collation: baseOnly })).toBe(3);
    const count = await mongo.db.command({ count: 'coll_count', query: { word: 'Café' }, collation: caseInsensitive });
    expect(count.n).toBe(2);
  });

  it('answers distinct with one value per class of equal strings', async () => {
    const items = await filled('coll_distinct', words);
    expect(await items.distinct('word')).toHaveLength(4);
    expect(await items.distinct('word', {}, { collation: baseOnly })).toHaveLength(2);
    const values = await items.distinct('word', {}, { collation: caseInsensitive });
    expect(values).toHaveLength(3);
    expect(values.filter((value) => String(value).toLowerCase() === 'café')).toHaveLength(1);
  });
});

describe('collation in sorting', () => {
  it('sorts find results by the locale, with numericOrdering and caseFirst', async () => {
    const items = await filled('coll_sort', [
      { _id: 1, name: 'b10' },
      { _id: 2, name: 'B2' },
      { _id: 3, name: 'a' },
      { _id: 4, name: 'b2' },
    ]);
    const sorted = async (collation?: CollationOptions) =>
      ids(
        await items
          .find({}, collation ? { collation } : {})
          .sort({ name: 1 })
          .toArray(),
      );
    expect(await sorted()).toEqual([2, 3, 1, 4]);
    expect(await sorted({ locale: 'en' })).toEqual([3, 1, 4, 2]);
    expect(await sorted({ locale: 'en', numericOrdering: true })).toEqual([3, 4, 2, 1]);
    expect(await sorted({ locale: 'en', numericOrdering: true, caseFirst: 'upper' })).toEqual([3, 2, 4, 1]);
    expect(
      ids(
        await items
          .find({}, { collation: { locale: 'en' } })
          .sort({ name: -1 })
          .toArray(),
      ),
    ).toEqual([2, 4, 1, 3]);
  });

  it('picks the first document of findAndModify by the collated sort', async () => {
    const items = await filled('coll_fam', [
      { _id: 1, name: 'Zoe', done: false },
      { _id: 2, name: 'adam', done: false },
    ]);
    const taken = await items.findOneAndUpdate(
      { done: false },
      { $set: { done: true } },
      { sort: { name: 1 }, collation: { locale: 'en' } },
    );
    expect(taken?._id).toBe(2);
  });
});

describe('collation in aggregation', () => {
  it('applies to $match, $group keys and $sort', async () => {
    const items = await filled('coll_aggregate', [
      { _id: 1, city: 'Paris', n: 1 },
      { _id: 2, city: 'PARIS', n: 2 },
      { _id: 3, city: 'berlin', n: 4 },
      { _id: 4, city: 'Zürich', n: 8 },
    ]);
    const pipeline = [{ $match: { city: { $ne: 'zurich' } } }, { $group: { _id: '$city', total: { $sum: '$n' } } }];
    const plain = await items.aggregate([...pipeline, { $sort: { _id: 1 } }]).toArray();
    expect(plain.map((group) => group.total)).toEqual([2, 1, 8, 4]);
    const collated = await items.aggregate([...pipeline, { $sort: { _id: 1 } }], { collation: baseOnly }).toArray();
    expect(collated.map((group) => group.total)).toEqual([4, 3]);
    expect(String(collated[1]?._id).toLowerCase()).toBe('paris');
  });
});

describe('collation in writes', () => {
  it('selects the documents of updates, deletes and findAndModify', async () => {
    const items = await filled('coll_writes', [
      { _id: 1, name: 'Émile' },
      { _id: 2, name: 'emile' },
      { _id: 3, name: 'other' },
    ]);
    const updated = await items.updateMany({ name: 'EMILE' }, { $set: { seen: true } }, { collation: baseOnly });
    expect(updated.modifiedCount).toBe(2);
    const none = await items.updateMany({ name: 'EMILE' }, { $set: { seen: false } });
    expect(none.matchedCount).toBe(0);
    const removed = await items.findOneAndDelete({ name: 'ÉMILE' }, { collation: caseInsensitive });
    expect(removed?._id).toBe(1);
    const deleted = await items.deleteMany({ name: 'EMILE' }, { collation: caseInsensitive });
    expect(deleted.deletedCount).toBe(1);
    expect(ids(await items.find().toArray())).toEqual([3]);
  });
});

describe('a collection default collation', () => {
  it('is listed in full and used by operations that give none', async () => {
    await mongo.db.createCollection('coll_default', { collation: caseInsensitive });
    const options = await listedOptions('coll_default');
    expect(options?.collation).toMatchObject({
      locale: 'en',
      strength: 2,
      caseLevel: false,
      caseFirst: 'off',
      numericOrdering: false,
      alternate: 'non-ignorable',
      maxVariable: 'punct',
      normalization: false,
      backwards: false,
    });
    expect(typeof options?.collation?.version).toBe('string');
    const items = mongo.db.collection<Doc>('coll_default');
    await items.insertMany([
      { _id: 1, name: 'Ana' },
      { _id: 2, name: 'ANA' },
    ]);
    expect(await items.countDocuments({ name: 'ana' })).toBe(2);
    expect(await items.countDocuments({ name: 'ana' }, { collation: { locale: 'simple' } })).toBe(0);
    expect(await items.aggregate([{ $match: { name: 'ana' } }]).toArray()).toHaveLength(2);
  });

  it('leaves the simple collation out of the listed options', async () => {
    await mongo.db.createCollection('coll_simple', { collation: { locale: 'simple' } });
    expect((await listedOptions('coll_simple'))?.collation).toBeUndefined();
  });

  it('is taken by an index created without a collation of its own', async () => {
    await mongo.db.createCollection('coll_default_index', { collation: caseInsensitive });
    const items = mongo.db.collection<Doc>('coll_default_index');
    await items.createIndex({ email: 1 }, { unique: true });
    await items.insertOne({ email: 'Ana@Example.com' });
    const error = await serverError(items.insertOne({ email: 'ana@example.com' }));
    expect(error.code).toBe(11000);
    const indexes = await items.listIndexes().toArray();
    expect(indexes.find((index) => index.name === 'email_1')?.collation).toMatchObject({ locale: 'en', strength: 2 });
  });
});

describe('index collation', () => {
  it('makes a unique index refuse strings equal at its strength', async () => {
    const items = mongo.db.collection<Doc>('coll_unique');
    await items.createIndex({ word: 1 }, { unique: true, collation: caseInsensitive });
    await items.insertOne({ _id: 1, word: 'café' });
    const error = await serverError(items.insertOne({ _id: 2, word: 'CAFÉ' }));
    expect(error.code).toBe(11000);
    // Strength 2 tells accents apart.
    await items.insertOne({ _id: 3, word: 'cafe' });
    expect(await items.countDocuments()).toBe(2);
    const [, index] = await items.listIndexes().toArray();
    expect(index?.collation).toMatchObject({ locale: 'en', strength: 2 });
  });

  it('at strength 1 refuses Café beside cafe', async () => {
    const items = mongo.db.collection<Doc>('coll_unique_base');
    await items.createIndex({ word: 1 }, { unique: true, collation: baseOnly });
    await items.insertOne({ word: 'cafe' });
    const error = await serverError(items.insertOne({ word: 'Café' }));
    expect(error.code).toBe(11000);
  });

  it('answers queries correctly whether or not their collation matches the index', async () => {
    const items = mongo.db.collection<Doc>('coll_index_match');
    await items.createIndex({ word: 1 }, { collation: caseInsensitive });
    await items.insertMany([
      { _id: 1, word: 'Tea' },
      { _id: 2, word: 'tea' },
    ]);
    expect(ids(await items.find({ word: 'tea' }).toArray())).toEqual([2]);
    expect(ids(await items.find({ word: 'TEA' }, { collation: caseInsensitive }).toArray())).toEqual([1, 2]);
    expect(ids(await items.find({ word: 'TEA' }, { collation: baseOnly }).toArray())).toEqual([1, 2]);
  });
});

describe('collation levels and options', () => {
  it('tells case apart at strength 3 and 5, and with caseLevel at strength 1', async () => {
    const items = await filled('coll_levels', [
      { _id: 1, word: 'resume' },
      { _id: 2, word: 'Résumé' },
      { _id: 3, word: 'résumé' },
    ]);
    const matching = async (collation: CollationOptions) =>
      ids(await items.find({ word: 'résumé' }, { collation }).toArray());
    expect(await matching({ locale: 'fr', strength: 1 })).toEqual([1, 2, 3]);
    expect(await matching({ locale: 'fr', strength: 1, caseLevel: true })).toEqual([1, 3]);
    expect(await matching({ locale: 'fr', strength: 2 })).toEqual([2, 3]);
    expect(await matching({ locale: 'fr', strength: 3 })).toEqual([3]);
    expect(await matching({ locale: 'fr', strength: 5 })).toEqual([3]);
  });

  it("ignores spaces and punctuation with alternate 'shifted'", async () => {
    const items = await filled('coll_shifted', [
      { _id: 1, code: 'a-b c' },
      { _id: 2, code: 'abc' },
    ]);
    expect(ids(await items.find({ code: 'abc' }, { collation: { locale: 'en' } }).toArray())).toEqual([2]);
    const shifted = await items.find({ code: 'abc' }, { collation: { locale: 'en', alternate: 'shifted' } }).toArray();
    expect(ids(shifted)).toEqual([1, 2]);
  });
});

describe('invalid collations', () => {
  it('refuses an unknown locale and a strength out of range with BadValue, changing nothing', async () => {
    const unknown = await serverError(
      mongo.db.createCollection('coll_invalid', { collation: { locale: 'xx_not_a_locale' } }),
    );
    expect(unknown.code).toBe(2);
    const strength = await serverError(
      mongo.db
        .collection('coll_invalid_find')
        .find({}, { collation: { locale: 'en', strength: 6 } })
        .toArray(),
    );
    expect(strength.code).toBe(2);
    const collections = await mongo.db.listCollections({ name: 'coll_invalid' }).toArray();
    expect(collections).toEqual([]);
  });

  it('refuses a collation that is not a document, lacks a locale or has unknown fields', async () => {
    const items = mongo.db.collection<Doc>('coll_invalid_fields');
    await serverError(mongo.db.command({ find: 'coll_invalid_fields', collation: 'en' }));
    await serverError(mongo.db.command({ find: 'coll_invalid_fields', collation: { strength: 2 } }));
    await serverError(items.createIndex({ a: 1 }, { collation: { locale: 'en', color: 'blue' } as CollationOptions }));
    await serverError(mongo.db.command({ find: 'coll_invalid_fields', collation: { locale: 'simple', strength: 1 } }));
  });

  it.skipIf(!embedded)('refuses what the platform ICU cannot do, MongoDB-shaped', async () => {
    const items = mongo.db.collection<Doc>('coll_refused');
    for (const collation of [
      { locale: 'en', backwards: true },
      { locale: 'en', alternate: 'shifted', maxVariable: 'space' },
      { locale: 'en', strength: 2, caseLevel: true },
    ] as CollationOptions[]) {
      const error = await serverError(items.find({}, { collation }).toArray());
      expect(error.code).toBe(115);
    }
  });
});

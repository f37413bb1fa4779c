import { MongoServerError } from 'mongodb';
import type { ChangeStream, Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useMongo } from './harness.js';

/**
 * Change events as MongoDB 7.0's manual describes them: DDL events with `showExpandedEvents`,
 * update descriptions down to array elements, `disambiguatedPaths`, pre- and post-images, and
 * the resumable errors of a change stream's getMore.
 */
const mongo = useMongo();

/** Documents of any shape, with a string or number _id. */
type AnyDoc = Document & { _id: string | number };

/** Opens a stream and waits until the server has created its cursor, so no later write is missed. */
async function started(stream: ChangeStream): Promise<ChangeStream> {
  expect(await stream.tryNext()).toBeNull();
  return stream;
}

async function nextEvents(stream: ChangeStream, count: number): Promise<Document[]> {
  const events: Document[] = [];
  while (events.length < count) events.push((await stream.next()) as Document);
  return events;
}

async function collectionUuid(name: string): Promise<unknown> {
  const [info] = await mongo.db.listCollections({ name }).toArray();
  return (info as Document).info.uuid;
}

describe('showExpandedEvents (DDL events)', () => {
  it('reports create, createIndexes, dropIndexes, modify and rename with their operationDescription', async () => {
    const stream = await started(mongo.db.watch([], { showExpandedEvents: true, maxAwaitTimeMS: 200 }));
    await mongo.db.createCollection('ddl_a', { validator: { n: { $type: 'number' } } });
    await mongo.db.collection<AnyDoc>('ddl_a').createIndex({ n: 1 }, { name: 'n_1', unique: true });
    await mongo.db.command({ collMod: 'ddl_a', validationLevel: 'moderate' });
    await mongo.db.collection<AnyDoc>('ddl_a').dropIndex('n_1');
    await mongo.db.createCollection('ddl_b');
    const uuid = await collectionUuid('ddl_a');
    const replaced = await collectionUuid('ddl_b');
    await mongo.db.collection<AnyDoc>('ddl_a').rename('ddl_b', { dropTarget: true });
    const events = await nextEvents(stream, 7);
    await stream.close();

    expect(events.map((event) => event.operationType)).toEqual([
      'create',
      'createIndexes',
      'modify',
      'dropIndexes',
      'create',
      'drop',
      'rename',
    ]);
    const [create, createIndexes, modify, dropIndexes, , drop, rename] = events as [
      Document,
      Document,
      Document,
      Document,
      Document,
      Document,
      Document,
    ];
    const ns = { db: mongo.db.databaseName, coll: 'ddl_a' };
    expect(create).toMatchObject({
      ns,
      collectionUUID: uuid,
      operationDescription: {
        validator: { n: { $type: 'number' } },
        idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
      },
    });
    expect(createIndexes).toMatchObject({
      ns,
      collectionUUID: uuid,
      operationDescription: { indexes: [{ v: 2, key: { n: 1 }, name: 'n_1', unique: true }] },
    });
    expect(modify).toMatchObject({
      ns,
      collectionUUID: uuid,
      operationDescription: { validationLevel: 'moderate' },
      stateBeforeChange: { collectionOptions: { uuid } },
    });
    expect(dropIndexes).toMatchObject({
      ns,
      collectionUUID: uuid,
      operationDescription: { indexes: [{ v: 2, key: { n: 1 }, name: 'n_1' }] },
    });
    expect(drop).toMatchObject({ ns: { db: mongo.db.databaseName, coll: 'ddl_b' }, collectionUUID: replaced });
    const to = { db: mongo.db.databaseName, coll: 'ddl_b' };
    expect(rename).toMatchObject({ ns, to, collectionUUID: uuid, operationDescription: { to, dropTarget: replaced } });
  });

  it('reports the implicit creation of a collection by its first insert, and collectionUUID on writes', async () => {
    const stream = await started(mongo.db.watch([], { showExpandedEvents: true, maxAwaitTimeMS: 200 }));
    await mongo.db.collection<AnyDoc>('ddl_implicit').insertOne({ _id: 1 });
    const [create, insert] = await nextEvents(stream, 2);
    await stream.close();
    const uuid = await collectionUuid('ddl_implicit');
    expect(create).toMatchObject({ operationType: 'create', collectionUUID: uuid });
    expect(insert).toMatchObject({ operationType: 'insert', collectionUUID: uuid, documentKey: { _id: 1 } });
  });

  it('shows none of it without showExpandedEvents', async () => {
    const stream = await started(mongo.db.watch([], { maxAwaitTimeMS: 200 }));
    await mongo.db.createCollection('ddl_hidden');
    await mongo.db.collection<AnyDoc>('ddl_hidden').createIndex({ k: 1 });
    await mongo.db.collection<AnyDoc>('ddl_hidden').insertOne({ _id: 1 });
    const [insert] = await nextEvents(stream, 1);
    await stream.close();
    expect(insert).toMatchObject({ operationType: 'insert', documentKey: { _id: 1 } });
    expect(insert).not.toHaveProperty('collectionUUID');
  });

  it('refuses a showExpandedEvents that is not a boolean', async () => {
    const error = await mongo.db
      .aggregate([{ $changeStream: { showExpandedEvents: 'yes' } }])
      .toArray()
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(14);
  });
});

describe('updateDescription', () => {
  async function updateDescriptions(
    name: string,
    initial: Document,
    updates: readonly (Document | Document[])[],
    showExpandedEvents = false,
  ): Promise<Document[]> {
    const coll = mongo.db.collection<AnyDoc>(name);
    await coll.insertOne({ _id: 1, ...initial });
    const stream = await started(coll.watch([], { showExpandedEvents, maxAwaitTimeMS: 200 }));
    for (const update of updates) await coll.updateOne({ _id: 1 }, update);
    const events = await nextEvents(stream, updates.length);
    await stream.close();
    return events.map((event) => event.updateDescription as Document);
  }

  it('names array elements by index: appended, set, and set inside an element', async () => {
    const descriptions = await updateDescriptions('upd_arrays', { tags: ['a', 'b'], items: [{ qty: 1 }, { qty: 2 }] }, [
      { $push: { tags: 'c' } },
      { $set: { 'tags.0': 'z' } },
      { $inc: { 'items.1.qty': 5 } },
    ]);
    expect(descriptions).toEqual([
      { updatedFields: { 'tags.2': 'c' }, removedFields: [], truncatedArrays: [] },
      { updatedFields: { 'tags.0': 'z' }, removedFields: [], truncatedArrays: [] },
      { updatedFields: { 'items.1.qty': 7 }, removedFields: [], truncatedArrays: [] },
    ]);
  });

  it('reports an array cut at its end as truncated, and one whose elements moved as a whole', async () => {
    const descriptions = await updateDescriptions('upd_truncate', { tags: ['a', 'b', 'c', 'd'] }, [
      { $pop: { tags: 1 } },
      { $pull: { tags: 'b' } },
      [{ $set: { tags: { $slice: ['$tags', 1] } } }],
    ]);
    expect(descriptions).toEqual([
      { updatedFields: {}, removedFields: [], truncatedArrays: [{ field: 'tags', newSize: 3 }] },
      { updatedFields: { tags: ['a', 'c'] }, removedFields: [], truncatedArrays: [] },
      { updatedFields: {}, removedFields: [], truncatedArrays: [{ field: 'tags', newSize: 1 }] },
    ]);
  });

  it('gives the components of ambiguous paths in disambiguatedPaths with showExpandedEvents, array indices as numbers', async () => {
    const [numericField, inArray, plain] = await updateDescriptions(
      'upd_ambiguous',
      { a: { '1': 1 }, list: [{ '1': 1 }], b: { c: 1 } },
      [{ $set: { 'a.1': 2 } }, { $set: { 'list.0.1': 2 } }, { $set: { 'b.c': 2 } }],
      true,
    );
    expect(numericField).toEqual({
      updatedFields: { 'a.1': 2 },
      removedFields: [],
      truncatedArrays: [],
      disambiguatedPaths: { 'a.1': ['a', '1'] },
    });
    expect((inArray as Document).disambiguatedPaths).toEqual({ 'list.0.1': ['list', 0, '1'] });
    expect(plain).not.toHaveProperty('disambiguatedPaths');
  });

  it('leaves disambiguatedPaths out without showExpandedEvents', async () => {
    const [description] = await updateDescriptions('upd_not_expanded', { a: { '1': 1 } }, [{ $set: { 'a.1': 2 } }]);
    expect(description).toEqual({ updatedFields: { 'a.1': 2 }, removedFields: [], truncatedArrays: [] });
  });
});

describe('pre- and post-images (changeStreamPreAndPostImages)', () => {
  it('are null for whenAvailable and fail the stream for required while the collection does not keep them', async () => {
    const coll = mongo.db.collection<AnyDoc>('images_off');
    await coll.insertOne({ _id: 1, n: 1 });
    const available = await started(
      coll.watch([], { fullDocument: 'whenAvailable', fullDocumentBeforeChange: 'whenAvailable', maxAwaitTimeMS: 200 }),
    );
    const required = await started(coll.watch([], { fullDocumentBeforeChange: 'required', maxAwaitTimeMS: 200 }));
    await coll.updateOne({ _id: 1 }, { $set: { n: 2 } });
    expect(await available.next()).toMatchObject({ fullDocument: null, fullDocumentBeforeChange: null });
    const error = await required.next().catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(47);
    await available.close();
    await required.close();
  });

  it('are the documents before and after each write once the collection keeps them', async () => {
    await mongo.db.createCollection('images_on');
    await mongo.db.command({ collMod: 'images_on', changeStreamPreAndPostImages: { enabled: true } });
    const coll = mongo.db.collection<AnyDoc>('images_on');
    await coll.insertOne({ _id: 1, n: 1 });
    const stream = await started(
      coll.watch([], { fullDocument: 'required', fullDocumentBeforeChange: 'required', maxAwaitTimeMS: 200 }),
    );
    await coll.updateOne({ _id: 1 }, { $set: { n: 2 } });
    await coll.deleteOne({ _id: 1 });
    const [update, remove] = await nextEvents(stream, 2);
    await stream.close();
    expect(update).toMatchObject({ fullDocument: { _id: 1, n: 2 }, fullDocumentBeforeChange: { _id: 1, n: 1 } });
    expect(remove).toMatchObject({ operationType: 'delete', fullDocumentBeforeChange: { _id: 1, n: 2 } });
  });

  it('refuses an option that is not { enabled: <bool> }', async () => {
    const error = await mongo.db
      .createCollection('images_bad', { changeStreamPreAndPostImages: { enabled: 'yes' } } as Document)
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(14);
  });
});

describe('errors of a change stream getMore', () => {
  it('labels a resumable one ResumableChangeStreamError, so the driver resumes without losing an event', async () => {
    const admin = mongo.client.db('admin');
    const coll = mongo.db.collection<AnyDoc>('resumable');
    const stream = await started(coll.watch([], { maxAwaitTimeMS: 200 }));
    await admin.command({
      configureFailPoint: 'failGetMoreAfterCursorCheckout',
      mode: { times: 1 },
      data: { errorCode: 6 },
    });
    await coll.insertOne({ _id: 'kept' });
    expect(await stream.next()).toMatchObject({ operationType: 'insert', documentKey: { _id: 'kept' } });
    await stream.close();
  });

  it('leaves the label off a find cursor, and off an error that is not resumable', async () => {
    const admin = mongo.client.db('admin');
    const coll = mongo.db.collection<AnyDoc>('not_resumable');
    await coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    const cursor = coll.find({}, { batchSize: 1 });
    await cursor.next();
    await admin.command({
      configureFailPoint: 'failGetMoreAfterCursorCheckout',
      mode: { times: 1 },
      data: { errorCode: 6 },
    });
    const findError = await cursor.next().catch((reason: unknown) => reason);
    expect((findError as MongoServerError).code).toBe(6);
    expect((findError as MongoServerError).hasErrorLabel('ResumableChangeStreamError')).toBe(false);

    const stream = await started(coll.watch([], { maxAwaitTimeMS: 200 }));
    await admin.command({
      configureFailPoint: 'failGetMoreAfterCursorCheckout',
      mode: { times: 1 },
      data: { errorCode: 2 },
    });
    await coll.insertOne({ _id: 4 });
    const streamError = await stream.next().catch((reason: unknown) => reason);
    expect((streamError as MongoServerError).code).toBe(2);
    await stream.close();
  });
});

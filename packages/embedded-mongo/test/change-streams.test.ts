import type { ChangeStream, ChangeStreamDocument, CommandStartedEvent, Document, ResumeToken } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useMongo } from './harness.js';

const mongo = useMongo({ monitorCommands: true });

/** Opens a stream and waits until the server has created its cursor, so no later write is missed. */
async function started<T extends Document>(stream: ChangeStream<T>): Promise<ChangeStream<T>> {
  expect(await stream.tryNext()).toBeNull();
  return stream;
}

async function nextEvents<T extends Document>(
  stream: ChangeStream<T>,
  count: number,
): Promise<ChangeStreamDocument<T>[]> {
  const events: ChangeStreamDocument<T>[] = [];
  while (events.length < count) events.push(await stream.next());
  return events;
}

describe('change streams', () => {
  it('delivers insert, update, replace and delete events', async () => {
    const coll = mongo.db.collection<{ name?: string; tags?: string[]; replaced?: boolean }>('cs_basic');
    const stream = await started(coll.watch([], { maxAwaitTimeMS: 200 }));
    const { insertedId } = await coll.insertOne({ name: 'a', tags: ['x'] });
    await coll.updateOne({ _id: insertedId }, { $set: { name: 'b' }, $push: { tags: 'y' }, $unset: { missing: '' } });
    await coll.updateOne({ _id: insertedId }, { $unset: { name: '' } });
    await coll.replaceOne({ _id: insertedId }, { replaced: true });
    await coll.deleteOne({ _id: insertedId });
    const events = await nextEvents(stream, 5);
    await stream.close();
    expect(events.map((event) => event.operationType)).toEqual(['insert', 'update', 'update', 'replace', 'delete']);
    const [insert, update, unset, replace, remove] = events as unknown as [
      Document,
      Document,
      Document,
      Document,
      Document,
    ];
    expect(insert).toMatchObject({
      fullDocument: { _id: insertedId, name: 'a', tags: ['x'] },
      documentKey: { _id: insertedId },
    });
    expect(insert.ns).toEqual({ db: mongo.db.databaseName, coll: 'cs_basic' });
    expect(insert._id._data).toEqual(expect.any(String));
    expect(insert.clusterTime._bsontype).toBe('Timestamp');
    expect(insert.wallTime).toBeInstanceOf(Date);
    expect(update.updateDescription).toEqual({
      updatedFields: { name: 'b', 'tags.1': 'y' },
      removedFields: [],
      truncatedArrays: [],
    });
    expect(update.fullDocument).toBeUndefined();
    expect(unset.updateDescription).toMatchObject({ updatedFields: {}, removedFields: ['name'] });
    expect(replace.fullDocument).toEqual({ _id: insertedId, replaced: true });
    expect(remove).toMatchObject({ documentKey: { _id: insertedId } });
    expect(remove.fullDocument).toBeUndefined();
  });

  it('looks up the current document for updates with fullDocument: updateLookup', async () => {
    const coll = mongo.db.collection('cs_lookup');
    const stream = await started(coll.watch([], { fullDocument: 'updateLookup', maxAwaitTimeMS: 200 }));
    const { insertedId } = await coll.insertOne({ n: 1 });
    await coll.updateOne({ _id: insertedId }, { $inc: { n: 1 } });
    const [, update] = await nextEvents(stream, 2);
    await stream.close();
    expect(update).toMatchObject({ operationType: 'update', fullDocument: { _id: insertedId, n: 2 } });
  });

  it('delivers transaction writes only after commit, together and in order', async () => {
    // Created first: a collection a transaction creates conflicts with one created outside it meanwhile.
    const coll = await mongo.db.createCollection('cs_txn');
    const stream = await started(coll.watch([], { maxAwaitTimeMS: 200 }));
    const session = mongo.client.startSession();
    session.startTransaction();
    await coll.insertOne({ step: 1 }, { session });
    await coll.insertOne({ step: 2 }, { session });
    expect(await stream.tryNext()).toBeNull();
    await coll.insertOne({ step: 0 });
    await session.commitTransaction();
    await session.endSession();
    const events = (await nextEvents(stream, 3)) as Document[];
    await stream.close();
    expect(events.map((event) => event.fullDocument.step)).toEqual([0, 1, 2]);
    expect(events[1]?.clusterTime).toEqual(events[2]?.clusterTime);
    expect(events[1]?._id).not.toEqual(events[2]?._id);
    expect(events[0]?.txnNumber).toBeUndefined();
    expect(events[1]?.txnNumber).toBeDefined();
  });

  it('resumes after a token once the stream was closed', async () => {
    const coll = mongo.db.collection('cs_resume');
    const stream = await started(coll.watch([], { maxAwaitTimeMS: 200 }));
    await coll.insertOne({ n: 1 });
    const first = await stream.next();
    const token: ResumeToken = first._id;
    await stream.close();
    await coll.insertMany([{ n: 2 }, { n: 3 }]);
    const resumed = coll.watch([], { resumeAfter: token, maxAwaitTimeMS: 200 });
    const events = (await nextEvents(resumed, 2)) as Document[];
    await resumed.close();
    expect(events.map((event) => event.fullDocument.n)).toEqual([2, 3]);
  });

  it('starts at an operation time', async () => {
    const coll = mongo.db.collection('cs_optime');
    const session = mongo.client.startSession();
    await coll.insertOne({ n: 1 }, { session });
    const startAtOperationTime = session.operationTime;
    await session.endSession();
    await coll.insertOne({ n: 2 });
    const stream = coll.watch([], { startAtOperationTime, maxAwaitTimeMS: 200 });
    const events = (await nextEvents(stream, 2)) as Document[];
    await stream.close();
    expect(events.map((event) => event.fullDocument.n)).toEqual([1, 2]);
  });

  it('ends a collection stream with drop and invalidate events when the collection is dropped', async () => {
    const coll = mongo.db.collection('cs_drop');
    await coll.insertOne({ n: 1 });
    const stream = await started(coll.watch([], { maxAwaitTimeMS: 200 }));
    await coll.drop();
    const events = await nextEvents(stream, 2);
    expect(events.map((event) => event.operationType)).toEqual(['drop', 'invalidate']);
    expect(stream.closed).toBe(true);
  });

  it('watches the whole deployment with client.watch', async () => {
    const stream = await started(
      mongo.client.watch([{ $match: { 'ns.db': mongo.db.databaseName } }], { maxAwaitTimeMS: 200 }),
    );
    await mongo.db.collection('cs_cluster').insertOne({ everywhere: true });
    const event = (await stream.next()) as Document;
    await stream.close();
    expect(event).toMatchObject({ operationType: 'insert', ns: { db: mongo.db.databaseName, coll: 'cs_cluster' } });
  });

  it('watches every collection of a database with db.watch', async () => {
    const stream = await started(mongo.db.watch([], { maxAwaitTimeMS: 200 }));
    await mongo.db.collection('cs_db_a').insertOne({ from: 'a' });
    await mongo.db.collection('cs_db_b').insertOne({ from: 'b' });
    const events = (await nextEvents(stream, 2)) as Document[];
    await stream.close();
    expect(events.map((event) => [event.ns.coll, event.fullDocument.from])).toEqual([
      ['cs_db_a', 'a'],
      ['cs_db_b', 'b'],
    ]);
  });

  it('filters and reshapes events with the pipeline after $changeStream', async () => {
    const coll = mongo.db.collection('cs_pipeline');
    const stream = await started(
      coll.watch(
        [
          { $match: { operationType: 'insert', 'fullDocument.level': 'error' } },
          { $project: { 'fullDocument.msg': 1, operationType: 1 } },
        ],
        {
          maxAwaitTimeMS: 200,
        },
      ),
    );
    await coll.insertMany([
      { level: 'info', msg: 'skip' },
      { level: 'error', msg: 'keep', extra: 1 },
    ]);
    await coll.deleteMany({});
    await coll.insertOne({ level: 'error', msg: 'also' });
    const events = (await nextEvents(stream, 2)) as Document[];
    await stream.close();
    expect(events.map((event) => event.fullDocument)).toEqual([{ msg: 'keep' }, { msg: 'also' }]);
    expect(events[0]?.ns).toBeUndefined();
  });

  it('keeps what a database stream’s $match on the namespace and operation keeps, whatever else is written', async () => {
    const byNamespace = await started(
      mongo.db.watch(
        [
          {
            $match: {
              $or: [{ 'ns.coll': { $in: ['cs_ns_kept', 'cs_ns_dropped'] } }, { operationType: 'dropDatabase' }],
            },
          },
          { $project: { operationType: 1, 'ns.coll': 1, 'fullDocument.n': 1 } },
        ],
        { maxAwaitTimeMS: 200 },
      ),
    );
    const byWholeNamespace = await started(
      mongo.db.watch([{ $match: { ns: { db: mongo.db.databaseName, coll: 'cs_ns_kept' }, operationType: 'insert' } }], {
        maxAwaitTimeMS: 200,
      }),
    );
    const byDocument = await started(mongo.db.watch([{ $match: { 'fullDocument.n': 2 } }], { maxAwaitTimeMS: 200 }));
    await mongo.db.collection('cs_ns_other').insertMany([{ n: 1 }, { n: 2 }]);
    await mongo.db.collection('cs_ns_kept').insertOne({ n: 3 });
    await mongo.db.collection('cs_ns_dropped').insertOne({ n: 4 });
    await mongo.db.collection('cs_ns_kept').updateOne({ n: 3 }, { $set: { n: 2 } });
    await mongo.db.collection('cs_ns_dropped').drop();
    await mongo.db.collection('cs_ns_kept').insertOne({ n: 5 });

    const kept = (await nextEvents(byNamespace, 5)) as Document[];
    expect(kept.map((event) => [event.operationType, event.ns.coll, event.fullDocument?.n])).toEqual([
      ['insert', 'cs_ns_kept', 3],
      ['insert', 'cs_ns_dropped', 4],
      ['update', 'cs_ns_kept', undefined],
      ['drop', 'cs_ns_dropped', undefined],
      ['insert', 'cs_ns_kept', 5],
    ]);
    const inserted = (await nextEvents(byWholeNamespace, 2)) as Document[];
    expect(inserted.map((event) => event.fullDocument.n)).toEqual([3, 5]);
    const second = (await nextEvents(byDocument, 1)) as Document[];
    expect(second.map((event) => [event.ns.coll, event.fullDocument.n])).toEqual([['cs_ns_other', 2]]);
    await Promise.all([byNamespace.close(), byWholeNamespace.close(), byDocument.close()]);
  });

  it('waits on an idle getMore instead of spinning, and returns as soon as an event arrives', async () => {
    const coll = mongo.db.collection('cs_idle');
    const getMores: CommandStartedEvent[] = [];
    const listener = (event: CommandStartedEvent): void => {
      if (event.commandName === 'getMore') getMores.push(event);
    };
    mongo.client.on('commandStarted', listener);
    const stream = await started(coll.watch([], { maxAwaitTimeMS: 300 }));
    const idleStart = Date.now();
    expect(await stream.tryNext()).toBeNull();
    expect(Date.now() - idleStart).toBeGreaterThanOrEqual(250);
    const waiting = stream.next();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const insertedAt = Date.now();
    await coll.insertOne({ wake: true });
    const event = await waiting;
    const latency = Date.now() - insertedAt;
    mongo.client.off('commandStarted', listener);
    await stream.close();
    expect(event.operationType).toBe('insert');
    expect(latency).toBeLessThan(200);
    expect(getMores.length).toBeLessThanOrEqual(4);
    expect(getMores[0]?.command.maxTimeMS).toBe(300);
  });
});

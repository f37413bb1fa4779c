import { MongoServerError } from 'mongodb';
import type { ClientSession, Collection } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useMongo } from './harness.js';

/**
 * Multi-document transactions read a snapshot: the data as of their first operation plus their own
 * writes (MongoDB's readConcern "snapshot" for transactions). What they create stays theirs until
 * they commit, and the commands MongoDB refuses inside a transaction are refused.
 */
const mongo = useMongo();

interface Item {
  _id: string;
  n?: number;
  owner?: string;
}

function items(name: string): Collection<Item> {
  return mongo.db.collection<Item>(name);
}

/** Runs `work` in a transaction that has already read (so its snapshot is taken), then aborts it if still open. */
async function inTransaction(coll: Collection<Item>, work: (session: ClientSession) => Promise<void>): Promise<void> {
  const session = mongo.client.startSession();
  try {
    session.startTransaction();
    await coll.findOne({}, { session });
    await work(session);
  } finally {
    if (session.inTransaction()) await session.abortTransaction();
    await session.endSession();
  }
}

async function failure(promise: Promise<unknown>): Promise<MongoServerError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(MongoServerError);
  return error as MongoServerError;
}

describe('snapshot isolation', () => {
  it('does not see what others commit after its snapshot: inserts, updates, deletes', async () => {
    const coll = items('si_reads');
    await coll.insertMany([
      { _id: 'kept', n: 1 },
      { _id: 'changed', n: 1 },
      { _id: 'deleted', n: 1 },
    ]);
    await inTransaction(coll, async (session) => {
      await coll.insertOne({ _id: 'added', n: 1 });
      await coll.updateOne({ _id: 'changed' }, { $set: { n: 2 } });
      await coll.deleteOne({ _id: 'deleted' });
      const seen = await coll.find({}, { session }).sort({ _id: 1 }).toArray();
      expect(seen).toEqual([
        { _id: 'changed', n: 1 },
        { _id: 'deleted', n: 1 },
        { _id: 'kept', n: 1 },
      ]);
      expect(await coll.findOne({ _id: 'added' }, { session })).toBeNull();
      expect(await coll.countDocuments({ n: 1 }, { session })).toBe(3);
      expect(await coll.distinct('_id', { n: 2 }, { session })).toEqual([]);
    });
    expect(await coll.countDocuments({ n: 1 })).toBe(2);
  });

  it('sees its own writes over its snapshot', async () => {
    const coll = items('si_own');
    await coll.insertMany([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 1 },
    ]);
    await inTransaction(coll, async (session) => {
      await coll.updateOne({ _id: 'a' }, { $set: { n: 5 } }, { session });
      await coll.deleteOne({ _id: 'b' }, { session });
      await coll.insertOne({ _id: 'c', n: 5 }, { session });
      expect(await coll.find({ n: 5 }, { session }).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 'a', n: 5 },
        { _id: 'c', n: 5 },
      ]);
      expect(await coll.find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 'a', n: 1 },
        { _id: 'b', n: 1 },
      ]);
    });
  });

  it('fails with a transient write conflict when it writes a document changed or deleted after its snapshot', async () => {
    const coll = items('si_conflict');
    await coll.insertMany([
      { _id: 'updated', n: 1 },
      { _id: 'removed', n: 1 },
    ]);
    for (const [id, change] of [
      ['updated', () => coll.updateOne({ _id: 'updated' }, { $inc: { n: 1 } })],
      ['removed', () => coll.deleteOne({ _id: 'removed' })],
    ] as const) {
      await inTransaction(coll, async (session) => {
        await change();
        const error = await failure(coll.updateOne({ _id: id }, { $set: { owner: 'txn' } }, { session }));
        expect(error.code).toBe(112);
        expect(error.hasErrorLabel('TransientTransactionError')).toBe(true);
      });
    }
    expect(await coll.findOne({ _id: 'updated' })).toEqual({ _id: 'updated', n: 2 });
    expect(await coll.findOne({ _id: 'removed' })).toBeNull();
  });

  it('keeps a collection and its index created inside the transaction invisible until commit', async () => {
    const name = 'si_created';
    const coll = items(name);
    const session = mongo.client.startSession();
    try {
      session.startTransaction();
      await mongo.db.createCollection(name, { session });
      await coll.createIndex({ owner: 1 }, { unique: true, name: 'owner_unique', session });
      await coll.insertOne({ _id: 'x', owner: 'ann' }, { session });
      expect(await mongo.db.listCollections({ name }).toArray()).toEqual([]);
      expect(await coll.findOne({ _id: 'x' })).toBeNull();
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect((await mongo.db.listCollections({ name }).toArray()).map((info) => info.name)).toEqual([name]);
    expect((await coll.indexes()).map((index) => index.name)).toEqual(['_id_', 'owner_unique']);
    expect(await coll.findOne({ _id: 'x' })).toEqual({ _id: 'x', owner: 'ann' });
    expect((await failure(coll.insertOne({ _id: 'y', owner: 'ann' }))).code).toBe(11000);
  });

  it('leaves nothing of a collection created by a transaction that aborts', async () => {
    const name = 'si_aborted_create';
    const coll = items(name);
    const session = mongo.client.startSession();
    session.startTransaction();
    await coll.insertOne({ _id: 'x' }, { session });
    await session.abortTransaction();
    await session.endSession();
    expect(await mongo.db.listCollections({ name }).toArray()).toEqual([]);
  });

  it('refuses count, and an index on an existing collection, as MongoDB does inside a transaction', async () => {
    const coll = items('si_refused');
    await coll.insertOne({ _id: 'a' });
    await inTransaction(coll, async (session) => {
      const count = await failure(coll.estimatedDocumentCount({ session } as never));
      expect(count.code).toBe(263);
      expect(count.codeName).toBe('OperationNotSupportedInTransaction');
    });
    await inTransaction(coll, async (session) => {
      const index = await failure(coll.createIndex({ n: 1 }, { session }));
      expect(index.code).toBe(263);
    });
    expect((await coll.indexes()).map((index) => index.name)).toEqual(['_id_']);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import type { ClientSession, Collection, Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { embedded, useMongo } from './harness.js';

const mongo = useMongo();

async function inTransaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
  const session = mongo.client.startSession();
  try {
    session.startTransaction();
    return await work(session);
  } finally {
    if (session.inTransaction()) await session.abortTransaction();
    await session.endSession();
  }
}

function collection(name: string): Collection<Document> {
  return mongo.db.collection(name);
}

describe('multi-document transactions', () => {
  it('commits writes to several collections together', async () => {
    await collection('txn_accounts').insertOne({ _id: 'a' as never, balance: 100 });
    await mongo.client.withSession((session) =>
      session.withTransaction(async () => {
        await collection('txn_accounts').updateOne({ _id: 'a' as never }, { $inc: { balance: -30 } }, { session });
        await collection('txn_ledger').insertOne({ account: 'a', amount: -30 }, { session });
      }),
    );
    expect(await collection('txn_accounts').findOne({ _id: 'a' as never })).toMatchObject({ balance: 70 });
    expect(await collection('txn_ledger').countDocuments({ account: 'a' })).toBe(1);
  });

  it('discards writes on abort', async () => {
    await inTransaction(async (session) => {
      await collection('txn_aborted').insertOne({ x: 1 }, { session });
      expect(await collection('txn_aborted').countDocuments({}, { session })).toBe(1);
      await session.abortTransaction();
    });
    expect(await collection('txn_aborted').countDocuments()).toBe(0);
  });

  it('hides uncommitted writes from other sessions and clients while showing them to itself', async () => {
    const other = await MongoClient.connect(mongo.mongo.uri);
    try {
      const outside = other.db(mongo.db.databaseName).collection('txn_isolation');
      await collection('txn_isolation').insertOne({ _id: 1 as never, state: 'old' });
      await inTransaction(async (session) => {
        const inside = collection('txn_isolation');
        await inside.updateOne({ _id: 1 as never }, { $set: { state: 'new' } }, { session });
        await inside.insertOne({ _id: 2 as never, state: 'added' }, { session });
        expect(await inside.findOne({ _id: 1 as never }, { session })).toMatchObject({ state: 'new' });
        expect(await inside.countDocuments({}, { session })).toBe(2);
        expect(await outside.findOne({ _id: 1 as never })).toMatchObject({ state: 'old' });
        expect(await outside.countDocuments()).toBe(1);
        expect(await collection('txn_isolation').countDocuments()).toBe(1);
        await session.commitTransaction();
      });
      expect(await outside.findOne({ _id: 1 as never })).toMatchObject({ state: 'new' });
      expect(await outside.countDocuments()).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('retries withTransaction after a write conflict so that concurrent increments both apply', async () => {
    const counters = collection('txn_counters');
    await counters.insertOne({ _id: 'c' as never, n: 0 });
    let attempts = 0;
    const increment = (holdMs: number, delayMs: number): Promise<void> =>
      mongo.client.withSession((session) =>
        session.withTransaction(async () => {
          attempts += 1;
          await sleep(delayMs);
          await counters.updateOne({ _id: 'c' as never }, { $inc: { n: 1 } }, { session });
          await sleep(holdMs);
        }),
      );
    await Promise.all([increment(60, 0), increment(0, 15)]);
    expect(await counters.findOne({ _id: 'c' as never })).toMatchObject({ n: 2 });
    expect(attempts).toBeGreaterThan(2);
  });

  it('fails a conflicting transactional write with WriteConflict labelled TransientTransactionError', async () => {
    await collection('txn_conflict').insertOne({ _id: 1 as never, v: 0 });
    await inTransaction(async (first) => {
      await collection('txn_conflict').updateOne({ _id: 1 as never }, { $set: { v: 1 } }, { session: first });
      await inTransaction(async (second) => {
        const error: unknown = await collection('txn_conflict')
          .updateOne({ _id: 1 as never }, { $set: { v: 2 } }, { session: second })
          .catch((failure: unknown) => failure);
        expect(error).toMatchObject({ code: 112 });
        expect((error as { hasErrorLabel(label: string): boolean }).hasErrorLabel('TransientTransactionError')).toBe(
          true,
        );
      });
      await first.commitTransaction();
    });
    expect(await collection('txn_conflict').findOne({ _id: 1 as never })).toMatchObject({ v: 1 });
  });

  it('killSessions from another client aborts that session’s transaction and releases what it wrote', async () => {
    await collection('txn_killed').insertOne({ _id: 1 as never, v: 0 });
    const crashed = await MongoClient.connect(mongo.mongo.uri);
    const session = crashed.startSession();
    session.startTransaction();
    await crashed
      .db(mongo.db.databaseName)
      .collection('txn_killed')
      .updateOne({ _id: 1 as never }, { $set: { v: 1 } }, { session });
    await mongo.client.db('admin').command({ killSessions: [session.id] });
    await collection('txn_killed').updateOne({ _id: 1 as never }, { $set: { v: 2 } });
    expect(await collection('txn_killed').findOne({ _id: 1 as never })).toMatchObject({ v: 2 });
    await expect(session.commitTransaction()).rejects.toMatchObject({ code: 251 });
    await crashed.close(true);
  });

  it.skipIf(!embedded)('fails a non-transactional write to a document a live transaction wrote', async () => {
    await collection('txn_locked').insertOne({ _id: 1 as never, v: 0 });
    await inTransaction(async (session) => {
      await collection('txn_locked').updateOne({ _id: 1 as never }, { $set: { v: 1 } }, { session });
      await expect(collection('txn_locked').updateOne({ _id: 1 as never }, { $set: { v: 2 } })).rejects.toMatchObject({
        code: 112,
      });
      await session.commitTransaction();
    });
    expect(await collection('txn_locked').findOne({ _id: 1 as never })).toMatchObject({ v: 1 });
  });

  it('checks unique indexes against committed data plus the transaction’s own writes', async () => {
    const emails = collection('txn_unique');
    await emails.createIndex({ email: 1 }, { unique: true });
    await emails.insertOne({ email: 'taken' });
    await inTransaction(async (session) => {
      await expect(emails.insertOne({ email: 'taken' }, { session })).rejects.toMatchObject({ code: 11000 });
    });
    await inTransaction(async (session) => {
      await emails.insertOne({ email: 'fresh' }, { session });
      await expect(emails.insertOne({ email: 'fresh' }, { session })).rejects.toMatchObject({ code: 11000 });
    });
    await inTransaction(async (session) => {
      // A key the transaction's own write gave up is free again; the one it took is not.
      await emails.insertOne({ email: 'first' }, { session });
      await emails.updateOne({ email: 'first' }, { $set: { email: 'second' } }, { session });
      await emails.insertOne({ email: 'first' }, { session });
      await expect(emails.insertOne({ email: 'second' }, { session })).rejects.toMatchObject({ code: 11000 });
    });
    await inTransaction(async (session) => {
      await emails.deleteOne({ email: 'taken' }, { session });
      await emails.insertOne({ email: 'taken', reused: true }, { session });
      await session.commitTransaction();
    });
    expect(await emails.findOne({ email: 'taken' })).toMatchObject({ reused: true });
    expect(await emails.countDocuments({ email: 'fresh' })).toBe(0);
  });

  it('lets only one of two transactions inserting the same unique key commit', async () => {
    const handles = collection('txn_unique_race');
    await handles.createIndex({ handle: 1 }, { unique: true });
    let inserted = 0;
    const claim = (): Promise<void> =>
      mongo.client.withSession((session) =>
        session.withTransaction(async () => {
          await handles.insertOne({ handle: 'same' }, { session });
          inserted += 1;
          const deadline = Date.now() + 300;
          while (inserted < 2 && Date.now() < deadline) await sleep(10);
        }),
      );
    const outcomes = await Promise.allSettled([claim(), claim()]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    expect(failure?.status === 'rejected' && failure.reason).toMatchObject({ code: 11000 });
    expect(await handles.countDocuments({ handle: 'same' })).toBe(1);
  });

  it('commits idempotently when the commit is retried, and commits transactions without writes', async () => {
    const items = collection('txn_retry_commit');
    await inTransaction(async (session) => {
      await items.insertOne({ once: true }, { session });
      await session.commitTransaction();
      await session.commitTransaction();
    });
    expect(await items.countDocuments()).toBe(1);
    await inTransaction(async (session) => {
      expect(await items.countDocuments({}, { session })).toBe(1);
      await session.commitTransaction();
    });
    await mongo.client.withSession((session) => session.withTransaction(async () => undefined));
  });

  it('sees its own writes in aggregations and through indexes', async () => {
    const members = collection('txn_reads');
    await members.createIndex({ tenantId: 1, name: 1 });
    await members.insertOne({ tenantId: 't', name: 'committed' });
    await inTransaction(async (session) => {
      await members.insertOne({ tenantId: 't', name: 'pending' }, { session });
      await members.deleteOne({ name: 'committed' }, { session });
      const names = await members
        .find({ tenantId: 't' }, { session })
        .map((doc) => doc.name)
        .toArray();
      expect(names).toEqual(['pending']);
      const [grouped] = await members
        .aggregate([{ $match: { tenantId: 't' } }, { $count: 'n' }], { session })
        .toArray();
      expect(grouped).toEqual({ n: 1 });
    });
    expect(await members.countDocuments({ tenantId: 't' })).toBe(1);
  });
});

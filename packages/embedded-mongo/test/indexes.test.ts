import { MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { embedded, useMongo } from './harness.js';

const mongo = useMongo();

async function duplicateError(attempt: Promise<unknown>): Promise<MongoServerError> {
  const error: unknown = await attempt.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(MongoServerError);
  return error as MongoServerError;
}

describe('unique indexes', () => {
  it('rejects a duplicate insert with E11000 naming the index and key', async () => {
    const users = mongo.db.collection('idx_users');
    await users.createIndex({ email: 1 }, { unique: true });
    await users.insertOne({ email: 'a@x' });
    const error = await duplicateError(users.insertOne({ email: 'a@x' }));
    expect(error.code).toBe(11000);
    expect(error.message).toMatch(
      /E11000 duplicate key error collection: \S+\.idx_users index: email_1 dup key: \{ email: "a@x" \}/,
    );
    expect(error.keyPattern).toEqual({ email: 1 });
    expect(error.keyValue).toEqual({ email: 'a@x' });
  });

  it('rejects updates and upserts that would duplicate a key', async () => {
    const users = mongo.db.collection('idx_users');
    await users.insertOne({ email: 'b@x' });
    const update = await duplicateError(users.updateOne({ email: 'b@x' }, { $set: { email: 'a@x' } }));
    expect(update.code).toBe(11000);
    const upsert = await duplicateError(
      users.updateOne({ missing: true }, { $set: { email: 'a@x' } }, { upsert: true }),
    );
    expect(upsert.code).toBe(11000);
    expect(await users.countDocuments()).toBe(2);
  });

  it('rejects a duplicate _id', async () => {
    const things = mongo.db.collection('idx_ids');
    await things.insertOne({ _id: 'k' as never });
    const error = await duplicateError(things.insertOne({ _id: 'k' as never }));
    expect(error.code).toBe(11000);
    expect(error.message).toContain('index: _id_ dup key: { _id: "k" }');
  });

  it('enforces compound unique keys on the combination only', async () => {
    const members = mongo.db.collection('idx_members');
    await members.createIndex({ tenantId: 1, email: 1 }, { unique: true, name: 'tenant_email' });
    await members.insertMany([
      { tenantId: 't1', email: 'a' },
      { tenantId: 't2', email: 'a' },
      { tenantId: 't1', email: 'b' },
    ]);
    const error = await duplicateError(members.insertOne({ tenantId: 't1', email: 'a' }));
    expect(error.message).toContain('index: tenant_email dup key: { tenantId: "t1", email: "a" }');
    expect(error.keyValue).toEqual({ tenantId: 't1', email: 'a' });
  });

  it('stops an ordered batch at the first error and reports its index', async () => {
    const codes = mongo.db.collection('idx_codes');
    await codes.createIndex({ code: 1 }, { unique: true });
    const error = await duplicateError(codes.insertMany([{ code: 1 }, { code: 2 }, { code: 1 }, { code: 3 }]));
    expect(error.code).toBe(11000);
    expect(await codes.countDocuments()).toBe(2);
    const unordered = await duplicateError(codes.insertMany([{ code: 2 }, { code: 4 }], { ordered: false }));
    expect(unordered.code).toBe(11000);
    expect(await codes.countDocuments()).toBe(3);
  });

  it('refuses to build a unique index over existing duplicates', async () => {
    const tags = mongo.db.collection('idx_existing_dups');
    await tags.insertMany([{ tag: 'x' }, { tag: 'x' }]);
    await expect(tags.createIndex({ tag: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
  });
});

describe('index catalog', () => {
  it('lists declared indexes with their options, and the _id index', async () => {
    const sessions = mongo.db.collection('idx_catalog');
    await sessions.createIndex({ createdAt: 1 }, { expireAfterSeconds: 3600 });
    await sessions.createIndex({ tenantId: 1, state: 1 }, { partialFilterExpression: { state: 'open' } });
    const indexes = await sessions.listIndexes().toArray();
    expect(indexes.map((index) => index.name)).toEqual(['_id_', 'createdAt_1', 'tenantId_1_state_1']);
    expect(indexes[1]).toMatchObject({ key: { createdAt: 1 }, expireAfterSeconds: 3600 });
    expect(indexes[2]).toMatchObject({ key: { tenantId: 1, state: 1 }, partialFilterExpression: { state: 'open' } });
  });

  it('treats re-creating an identical index as a no-op and drops indexes by name', async () => {
    const sessions = mongo.db.collection('idx_catalog');
    expect(await sessions.createIndex({ createdAt: 1 }, { expireAfterSeconds: 3600 })).toBe('createdAt_1');
    await sessions.dropIndex('createdAt_1');
    const names = (await sessions.listIndexes().toArray()).map((index) => index.name);
    expect(names).toEqual(['_id_', 'tenantId_1_state_1']);
    await expect(sessions.dropIndex('nope_1')).rejects.toMatchObject({ code: 27 });
  });

  it.skipIf(!embedded)('refuses index types it cannot serve', async () => {
    await expect(mongo.db.collection('idx_text').createIndex({ body: 'text' })).rejects.toMatchObject({
      code: 67,
      message: expect.stringContaining("Index type 'text'"),
    });
  });

  it('finds documents through a compound index prefix and through $in', async () => {
    const events = mongo.db.collection('idx_lookup');
    await events.createIndex({ tenantId: 1, kind: 1, at: -1 });
    await events.insertMany(
      Array.from({ length: 60 }, (_, i) => ({ tenantId: `t${i % 3}`, kind: i % 2 ? 'a' : 'b', at: i })),
    );
    expect(await events.countDocuments({ tenantId: 't1' })).toBe(20);
    expect(await events.countDocuments({ tenantId: 't1', kind: 'a' })).toBe(10);
    expect(await events.countDocuments({ $and: [{ tenantId: { $in: ['t0', 't2'] } }, { kind: 'b' }] })).toBe(20);
    const latest = await events
      .find({ tenantId: 't2', kind: { $eq: 'a' } })
      .sort({ at: -1 })
      .limit(1)
      .toArray();
    expect(latest[0]?.at).toBe(59);
  });
});

import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Users were once unique by `subject` alone; they are unique by `subject` and `issuer` now. A
 * database made by the earlier version keeps its unique `{ subject: 1 }` index until ensureIndexes
 * replaces it: the new unique index is created first (it cannot fail: the old one kept subjects
 * unique), then the old one is dropped, so uniqueness never lapses, and a second run is a no-op.
 */
let fixture: TestDatabase;
let client: MongoClient;

beforeAll(async () => {
  fixture = await startTestDatabase();
  client = new MongoClient(fixture.mongo.uri);
  await client.connect();
});
afterAll(async () => {
  await client?.close();
  await fixture?.stop();
});

const userIndexes = async () =>
  (await client.db(fixture.dbName).collection('users').indexes()).map((index) => ({
    key: index.key,
    unique: index.unique === true,
  }));

describe('the users index migration', () => {
  it('replaces the unique subject index of an older database by subject + issuer, idempotently', async () => {
    const users = client.db(fixture.dbName).collection('users');
    await users.createIndex({ subject: 1 }, { unique: true });
    await users.insertOne({ _id: 'aaaaaaaaaaaaaaaaaaaaaaa1' as never, subject: 'idp|7', email: 'a@example.com' });

    await fixture.database.ensureIndexes();
    await fixture.database.ensureIndexes();

    const indexes = await userIndexes();
    expect(indexes).toContainEqual({ key: { subject: 1, issuer: 1 }, unique: true });
    expect(indexes.map((index) => index.key)).not.toContainEqual({ subject: 1 });
    // The same subject from another issuer is now a second user; from the same issuer it is refused.
    await users.insertOne({ subject: 'idp|7', issuer: 'https://b.example/', email: 'b@example.com' });
    await expect(
      users.insertOne({ subject: 'idp|7', issuer: 'https://b.example/', email: 'c@example.com' }),
    ).rejects.toMatchObject({ code: 11000 });
  });
});

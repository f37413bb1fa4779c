import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collections } from '../../src/modules/application.js';
import { startTestDatabase, type TestDatabase } from '../support/database.js';

let env: TestDatabase;
let client: MongoClient;

beforeAll(async () => {
  env = await startTestDatabase();
  await env.database.ensureIndexes();
  // The indexes as the server reports them, read around the data layer on purpose.
  client = await MongoClient.connect(env.mongo.uri);
});

afterAll(async () => {
  await client?.close();
  await env?.stop();
});

describe('every index of a tenant collection starts with tenantId (queries stay in one tenant’s range)', () => {
  it.each(collections.names('tenant'))('%s', async (collection) => {
    const indexes = await client.db(env.dbName).collection(collection).listIndexes().toArray();
    // A TTL index serves the server's expiry, never a query, and MongoDB honours TTL on single-field
    // indexes only: the exemptions are such indexes on the `time` of export events (retention) and
    // on the `expiresAt` of idempotency keys (24 hours).
    const TTL_FIELDS: Readonly<Record<string, string>> = {
      events: '{"time":1}',
      idempotencyKeys: '{"expiresAt":1}',
      sharedIdempotencyKeys: '{"expiresAt":1}',
    };
    const isDeclaredTtl = (index: Record<string, unknown>) =>
      typeof index.expireAfterSeconds === 'number' && JSON.stringify(index.key) === TTL_FIELDS[collection];
    const offending = indexes
      .filter(
        (index) => index.name !== '_id_' && !isDeclaredTtl(index) && Object.keys(index.key as object)[0] !== 'tenantId',
      )
      .map((index) => index.name as string);
    expect(offending).toEqual([]);
    expect(indexes.length).toBeGreaterThan(1);
  });
});

import { MongoClient } from 'mongodb';
import type { Db, MongoClientOptions } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';
import { startTestMongo, uniqueDbName } from '../support/mongo.js';
import type { TestMongo } from '../support/mongo.js';

/** True when the suite runs against the embedded server (as startTestMongo decides). */
export const embedded = !process.env.MONGODB_URI;

export interface Harness {
  mongo: TestMongo;
  client: MongoClient;
  /** A database no other test file uses. */
  db: Db;
}

/** Starts the server under test and a connected client for the file; everything is closed after it. */
export function useMongo(clientOptions: MongoClientOptions = {}): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.mongo = await startTestMongo();
    harness.client = await MongoClient.connect(harness.mongo.uri, clientOptions);
    harness.db = harness.client.db(uniqueDbName('embedded'));
  });
  afterAll(async () => {
    await harness.db?.dropDatabase();
    await harness.client?.close();
    await harness.mongo?.stop();
  });
  return harness;
}

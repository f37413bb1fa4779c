import { randomUUID } from 'node:crypto';
import { MongoClient, MongoServerError } from 'mongodb';
import type { Db, MongoClientOptions } from 'mongodb';
import { afterAll, beforeAll, expect } from 'vitest';
import { startEmbeddedMongo } from '../src/index.js';

/** True when the suite runs against the embedded server, false when MONGODB_URI names a real one. */
export const embedded = !process.env.MONGODB_URI;

export interface TestMongo {
  /** Connection string of the server under test. */
  uri: string;
  stop(): Promise<void>;
}

/**
 * The server a test file talks to: the one named by MONGODB_URI when set, so that
 * `MONGODB_URI=… npm test` runs the same assertions against a real replica set, else a fresh
 * embedded server on a loopback port.
 */
export async function startTestMongo(): Promise<TestMongo> {
  const external = process.env.MONGODB_URI;
  if (external) return { uri: external, stop: async () => {} };
  return startEmbeddedMongo({ enableTestCommands: true });
}

/** A database name no other test uses, so files sharing a real server never see each other's data. */
export function uniqueDbName(prefix = 'test'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

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

/** The server error a command fails with; fails the test when it succeeds or fails otherwise. */
export async function serverError(promise: Promise<unknown>): Promise<MongoServerError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(MongoServerError);
  return error as MongoServerError;
}

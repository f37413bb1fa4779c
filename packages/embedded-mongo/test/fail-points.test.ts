import { randomUUID } from 'node:crypto';
import { MongoClient, MongoNetworkError, MongoServerError } from 'mongodb';
import type { Document } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo } from '../src/index.js';
import { embedded, startTestMongo, uniqueDbName } from './harness.js';
import type { TestMongo } from './harness.js';

/**
 * The failCommand fail point, through the official driver: the faults an application's error
 * handling must survive. Every fail point is limited to this file's clients by their appName, so
 * the file can run against a shared real replica set (started with enableTestCommands).
 */
interface Item {
  _id?: string;
  n?: number;
  attempt?: number;
}

let mongo: TestMongo;
let admin: MongoClient;
const clients: MongoClient[] = [];
const dbName = uniqueDbName('failpoints');

beforeAll(async () => {
  mongo = await startTestMongo();
  admin = await MongoClient.connect(mongo.uri);
});

afterEach(async () => {
  await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
  for (const client of clients.splice(0)) await client.close();
});

afterAll(async () => {
  await admin?.db(dbName).dropDatabase();
  await admin?.close();
  await mongo?.stop();
});

/** A client of its own, with an appName no other client has, and the fail point set for it. */
async function clientWithFailPoint(mode: Document | string, data: Document, options = {}) {
  const appName = `fp-${randomUUID()}`;
  const client = await MongoClient.connect(mongo.uri, { appName, ...options });
  clients.push(client);
  await admin.db('admin').command({ configureFailPoint: 'failCommand', mode, data: { ...data, appName } });
  return client.db(dbName).collection<Item>(`c_${appName.slice(3, 11)}`);
}

describe('configureFailPoint failCommand', () => {
  it('fails the listed command with the error code, the given number of times', async () => {
    const items = await clientWithFailPoint(
      { times: 2 },
      { failCommands: ['find'], errorCode: 2 },
      { retryReads: false },
    );
    await expect(items.findOne({})).rejects.toMatchObject({ code: 2, codeName: 'BadValue' });
    await expect(items.findOne({})).rejects.toBeInstanceOf(MongoServerError);
    await expect(items.findOne({})).resolves.toBeNull();
  });

  it('leaves unlisted commands alone, and clients with another appName', async () => {
    const items = await clientWithFailPoint('alwaysOn', { failCommands: ['insert'], errorCode: 2 });
    await expect(items.findOne({})).resolves.toBeNull();
    await expect(items.insertOne({ n: 1 })).rejects.toMatchObject({ code: 2 });
    await expect(items.insertOne({ n: 2 })).rejects.toMatchObject({ code: 2 });
    const other = admin.db(dbName).collection(items.collectionName);
    await other.insertOne({ n: 3 });
    expect(await other.countDocuments()).toBe(1);
  });

  it('stays on until turned off, and reports how often it fired', async () => {
    const items = await clientWithFailPoint('alwaysOn', { failCommands: ['count'], errorCode: 2 });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(items.estimatedDocumentCount()).rejects.toMatchObject({ code: 2 });
    }
    const off = await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
    expect(off.count).toBe(3);
    await expect(items.estimatedDocumentCount()).resolves.toBe(0);
  });

  it('answers with the given error labels, which withTransaction retries on', async () => {
    const items = await clientWithFailPoint(
      { times: 1 },
      { failCommands: ['insert'], errorCode: 112, errorLabels: ['TransientTransactionError'] },
    );
    const client = clients.at(-1) as MongoClient;
    let attempts = 0;
    const session = client.startSession();
    await session.withTransaction(async () => {
      attempts += 1;
      await items.insertOne({ attempt: attempts }, { session });
    });
    await session.endSession();
    expect(attempts).toBe(2);
    expect(await items.countDocuments({ attempt: { $exists: true } })).toBe(1);
  });

  it('labels a retryable error of a retryable write RetryableWriteError, so the driver retries it once', async () => {
    const items = await clientWithFailPoint({ times: 1 }, { failCommands: ['insert'], errorCode: 91 });
    await items.insertOne({ _id: 'once' });
    expect(await items.countDocuments({ _id: 'once' })).toBe(1);
  });

  it('reports the error without the label when retryable writes are off', async () => {
    const items = await clientWithFailPoint(
      { times: 1 },
      { failCommands: ['insert'], errorCode: 91 },
      { retryWrites: false },
    );
    const failure = await items.insertOne({ n: 1 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MongoServerError);
    expect((failure as MongoServerError).code).toBe(91);
    expect((failure as MongoServerError).hasErrorLabel('RetryableWriteError')).toBe(false);
  });

  it('closes the connection: a network error, which a retryable read survives', async () => {
    const noRetry = await clientWithFailPoint(
      { times: 1 },
      { failCommands: ['find'], closeConnection: true },
      { retryReads: false },
    );
    await expect(noRetry.findOne({})).rejects.toBeInstanceOf(MongoNetworkError);
    await expect(noRetry.findOne({})).resolves.toBeNull();
    const retrying = await clientWithFailPoint({ times: 1 }, { failCommands: ['find'], closeConnection: true });
    await expect(retrying.findOne({})).resolves.toBeNull();
  });

  it('holds the command up for blockTimeMS', async () => {
    const items = await clientWithFailPoint(
      { times: 1 },
      { failCommands: ['find'], blockConnection: true, blockTimeMS: 300 },
    );
    const started = performance.now();
    await items.findOne({});
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('refuses bad settings with BadValue and changes nothing', async () => {
    const refused = (command: Document) => admin.db('admin').command(command);
    await expect(
      refused({ configureFailPoint: 'failCommand', mode: 'sometimes', data: { failCommands: ['find'] } }),
    ).rejects.toBeInstanceOf(MongoServerError);
    await expect(
      refused({ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { failCommands: 'find' } }),
    ).rejects.toBeInstanceOf(MongoServerError);
    await expect(admin.db(dbName).collection('x').findOne({})).resolves.toBeNull();
  });
});

describe.skipIf(!embedded)('configureFailPoint without test commands', () => {
  it('is an unknown command, as on a mongod without enableTestCommands', async () => {
    const server = await startEmbeddedMongo();
    const client = await MongoClient.connect(server.uri);
    try {
      await expect(
        client.db('admin').command({
          configureFailPoint: 'failCommand',
          mode: 'alwaysOn',
          data: { failCommands: ['find'], errorCode: 2 },
        }),
      ).rejects.toMatchObject({ code: 59, codeName: 'CommandNotFound' });
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it('is refused on a database other than admin', async () => {
    await expect(admin.db(dbName).command({ configureFailPoint: 'failCommand', mode: 'off' })).rejects.toMatchObject({
      code: 13,
    });
  });
});

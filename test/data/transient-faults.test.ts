import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPark } from '../events/support.js';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { startTestMongo } from '../support/mongo.js';
import type { TestMongo } from '../support/mongo.js';

/**
 * The application's own handling of database faults, injected with MongoDB's failCommand fail
 * point (the embedded server accepts it in tests, like a mongod with enableTestCommands). The fail
 * point is limited to this server's connections by their appName.
 */
const PARKS = 'query { parks(first: 100) { nodes { name } } }';
const appName = `faults-${randomUUID()}`;
let mongo: TestMongo;
let admin: MongoClient;
let server: TestServer;

beforeAll(async () => {
  mongo = await startTestMongo();
  admin = await MongoClient.connect(mongo.uri);
  const uri = new URL(mongo.uri);
  uri.searchParams.set('appName', appName);
  server = await startTestServer({ MONGODB_URI: uri.toString() });
});

afterEach(async () => {
  await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
});

afterAll(async () => {
  await server?.stop();
  await admin?.close();
  await mongo?.stop();
});

const failOnce = (data: Record<string, unknown>) =>
  admin.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { ...data, appName } });

/** How often the fail point fired since it was set (turning it off). */
async function firings(): Promise<number> {
  return (await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' })).count as number;
}

async function parkNames(): Promise<string[]> {
  const response = await server.as<{ parks: { nodes: { name: string }[] } }>('alice@example.com', PARKS);
  return response.data!.parks.nodes.map((park) => park.name);
}

describe('a write survives a transient database fault', () => {
  it('retries the transaction of a mutation that hit a TransientTransactionError, and applies it once', async () => {
    await failOnce({ failCommands: ['insert'], errorCode: 112, errorLabels: ['TransientTransactionError'] });
    await createPark(server, 'alice@example.com', 'Written after a write conflict');
    expect(await firings()).toBe(1);
    expect((await parkNames()).filter((name) => name === 'Written after a write conflict')).toHaveLength(1);
  });

  it('retries a commit that failed with a retryable error, and applies it once', async () => {
    await failOnce({ failCommands: ['commitTransaction'], errorCode: 91 });
    await createPark(server, 'alice@example.com', 'Committed after a step-down');
    expect(await firings()).toBe(1);
    expect((await parkNames()).filter((name) => name === 'Committed after a step-down')).toHaveLength(1);
  });
});

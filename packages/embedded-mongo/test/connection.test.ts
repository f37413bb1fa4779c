import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo } from '../src/index.js';
import { startTestMongo } from './harness.js';
import type { TestMongo } from './harness.js';
import { embedded } from './harness.js';

let mongo: TestMongo;

beforeAll(async () => {
  mongo = await startTestMongo();
});

afterAll(async () => {
  await mongo?.stop();
});

function withoutQuery(uri: string): string {
  const url = new URL(uri);
  return `mongodb://${url.host}/`;
}

async function withClient<T>(uri: string, work: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

describe('connecting with the official driver', () => {
  it('connects with the URI as given and sees a writable replica set primary', async () => {
    await withClient(mongo.uri, async (client) => {
      const hello = await client.db('admin').command({ hello: 1 });
      expect(hello).toMatchObject({ isWritablePrimary: true, ok: 1 });
      expect(typeof hello.setName).toBe('string');
      expect(hello.logicalSessionTimeoutMinutes).toBeGreaterThan(0);
    });
  });

  it('connects without the replicaSet option (default options) and still runs transactions', async () => {
    await withClient(withoutQuery(mongo.uri), async (client) => {
      await expect(client.db('admin').command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
      const items = client.db(`conn_${Date.now()}`).collection('items');
      await client.withSession((session) => session.withTransaction(() => items.insertOne({ in: 'txn' }, { session })));
      expect(await items.countDocuments()).toBe(1);
      await items.drop();
    });
  });

  it.skipIf(!embedded)('answers hello as the single member of the replica set it names in the URI', async () => {
    const url = new URL(mongo.uri);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBeGreaterThan(0);
    await withClient(mongo.uri, async (client) => {
      const hello = await client.db('admin').command({ hello: 1 });
      expect(hello).toMatchObject({
        setName: url.searchParams.get('replicaSet'),
        hosts: [url.host],
        primary: url.host,
        me: url.host,
        secondary: false,
        maxBsonObjectSize: 16 * 1024 * 1024,
        maxMessageSizeBytes: 48_000_000,
        maxWriteBatchSize: 100_000,
        maxWireVersion: 21,
      });
      expect(hello.topologyVersion.processId).toBeDefined();
      expect(hello.connectionId).toBeGreaterThan(0);
      expect(hello.$clusterTime.clusterTime._bsontype).toBe('Timestamp');
      expect(hello.operationTime._bsontype).toBe('Timestamp');
      const legacy = await client.db('admin').command({ isMaster: 1 });
      expect(legacy.ismaster).toBe(true);
    });
  });
});

describe.skipIf(!embedded)('starting and stopping the embedded server', () => {
  it('binds a free loopback port and refuses other interfaces', async () => {
    await expect(startEmbeddedMongo({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
    const server = await startEmbeddedMongo({ replSetName: 'custom' });
    expect(server.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/\?replicaSet=custom$/);
    await server.stop();
  });

  it('releases the port on stop, promptly, even while a client still holds connections', async () => {
    const server = await startEmbeddedMongo();
    const port = Number(new URL(server.uri).port);
    const client = await MongoClient.connect(server.uri, { serverSelectionTimeoutMS: 500 });
    await client.db('x').collection('y').insertOne({ a: 1 });
    const stopping = Date.now();
    await server.stop();
    expect(Date.now() - stopping).toBeLessThan(1000);
    await expect(client.db('x').collection('y').findOne({})).rejects.toThrow();
    await client.close();
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const again = await startEmbeddedMongo({ port });
    await withClient(again.uri, async (fresh) => {
      expect(await fresh.db('x').collection('y').countDocuments()).toBe(0);
    });
    await again.stop();
  });

  it('runs alone from the CLI, printing its URI, until SIGTERM, keeping its data in --dir', async () => {
    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
    const dir = await mkdtemp(join(tmpdir(), 'embedded-cli-'));
    const run = async (work: (client: MongoClient) => Promise<void>): Promise<void> => {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--dir', dir], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      expect(line).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/\?replicaSet=rs0$/);
      await withClient(line, work);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    };
    try {
      await run(async (client) => {
        await client.db('cli').collection('kept').insertOne({ n: 1 });
      });
      await run(async (client) => {
        expect(await client.db('cli').collection('kept').countDocuments({ n: 1 })).toBe(1);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

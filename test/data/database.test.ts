import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/data/database.js';
import { startEmbeddedMongo } from '@tenantgraph/embedded-mongo';
import { collections } from '../../src/modules/application.js';
import { uniqueDbName } from '../support/mongo.js';
import { startTestDatabase, type TestDatabase } from '../support/database.js';

let env: TestDatabase;

beforeAll(async () => {
  env = await startTestDatabase();
});

afterAll(async () => {
  await env?.stop();
});

describe('Database', () => {
  it('answers a ping', async () => {
    expect(await env.database.ping()).toBe(true);
  });

  it('creates its indexes idempotently', async () => {
    await env.database.ensureIndexes();
    await env.database.ensureIndexes();
  });

  it('answers false to a ping, quickly and without throwing, once its server is gone', async () => {
    // A server of its own, so stopping it affects no other test (even with MONGODB_URI set).
    const server = await startEmbeddedMongo();
    const database = await connectDatabase({
      uri: server.uri,
      dbName: uniqueDbName(),
      collections,
      pingTimeoutMs: 500,
    });
    try {
      expect(await database.ping()).toBe(true);
      await server.stop();
      const started = Date.now();
      expect(await database.ping()).toBe(false);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await database.close();
    }
  });
});

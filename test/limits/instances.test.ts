import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLANS } from '../../src/limits/plans.js';
import { seedId } from '../../src/seed/seed.js';
import { expectOneBudgetAcross, TWENTY_POINTS } from '../support/flood.js';
import { until } from '../support/wait.js';
import { twoInstances, type TestServer } from '../support/server.js';

/**
 * A small bucket against a quick restore, so that a few seconds of flood are dominated by the
 * restore rate: what the plan admits over the window is BUCKET + RATE × seconds.
 */
const BUCKET = 150;
const RATE = 300;
const ENV = {
  PLANS: JSON.stringify({ standard: { bucketSize: BUCKET, restoreRate: RATE, requestsInFlight: 1000 } }),
  RATE_LIMIT_SYNC_MS: '100',
};
const FLOOD_MS = 4000;

const instances = twoInstances(ENV);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two instances on one database', () => {
  it("keep a tenant's admitted cost within 25% of its plan", async () => {
    const { a, b } = instances;
    const token = await a.token('alice@example.com');
    await expectOneBudgetAcross([a, b], TWENTY_POINTS, token, { ms: FLOOD_MS, bucket: BUCKET, rate: RATE });
  });
});

describe('a plan change', () => {
  it('applies on every instance within a second', async () => {
    const { a, b } = instances;
    const token = await a.token('alice@example.com');
    const quota = async (server: TestServer) =>
      (await server.gql('{ viewer { roles } }', { auth: token })).headers.get('ratelimit-policy');
    const tenants = a.app.services.database.platform.collection('tenants');
    expect(await quota(a)).toContain(`q=${BUCKET};`);
    const changed = Date.now();
    await tenants.updateOne({ slug: 'texas' }, { $set: { plan: 'enterprise' } });
    const enterprise = `q=${DEFAULT_PLANS.enterprise.bucketSize};`;
    await until(
      async () => (await quota(a))!.includes(enterprise) && (await quota(b))!.includes(enterprise),
      'the new plan',
      1000,
    );
    expect(Date.now() - changed).toBeLessThan(1000);
    await tenants.updateOne({ slug: 'texas' }, { $set: { plan: 'standard' } });
  });
});

describe('the exchange between instances', () => {
  it("rewrites a tenant's report only when its total changed, not at every exchange", async () => {
    const { a } = instances;
    const { mongodbUri, mongodbDb } = a.app.services.config;
    const client = new MongoClient(mongodbUri!);
    try {
      const reports = client.db(mongodbDb).collection<{ tenantId: string; at: Date }>('rateLimitConsumption');
      const texas = seedId('tenant:texas');
      const latestWrite = async () =>
        Math.max(0, ...(await reports.find({ tenantId: texas }).toArray()).map((report) => report.at.getTime()));
      const token = await a.token('alice@example.com');
      expect((await a.gql('{ viewer { roles } }', { auth: token })).status).toBe(200);
      await until(async () => (await latestWrite()) > 0, "texas's report");
      // Ten exchanges of each instance (RATE_LIMIT_SYNC_MS 100) with nothing admitted for texas: each
      // used to rewrite its report; now at most a periodic full report falls in the window.
      const writes = new Set<number>();
      const quietUntil = Date.now() + 1000;
      while (Date.now() < quietUntil) {
        writes.add(await latestWrite());
        await pause(20);
      }
      expect(writes.size).toBeLessThanOrEqual(3);
      // An admission is reported at the next exchange.
      const before = await latestWrite();
      expect((await a.gql('{ viewer { roles } }', { auth: token })).status).toBe(200);
      await until(async () => (await latestWrite()) > before, 'the new total', 2000);
    } finally {
      await client.close();
    }
  });
});

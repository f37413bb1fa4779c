import { MongoClient, type Collection } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONSUMPTION_COLLECTION, createLimitsStore } from '../../src/data/limits-store.js';
import { DEFAULT_PLANS } from '../../src/limits/plans.js';
import { RateLimiter, type Payer } from '../../src/limits/rate-limiter.js';
import { FULL_REPORT_MS, Reconciler } from '../../src/limits/reconciler.js';
import { SubscriptionCaps } from '../../src/limits/subscription-caps.js';
import { startTestMongo, uniqueDbName, type TestMongo } from '../support/mongo.js';

/**
 * The exchange as one instance sees another that falls silent: the other instance is its reports in
 * the database (written here as it would write them), this instance a real reconciler over the real
 * store; the clock is moved by hand, so that a silence of seconds takes none.
 */
const TENANT = 'tenant-1';
const PAYER: Payer = {
  tenantId: TENANT,
  plan: { ...DEFAULT_PLANS.standard, bucketSize: 10_000, restoreRate: 1 },
  key: null,
};

let mongo: TestMongo;
let client: MongoClient;
let reports: Collection<{ _id: string; [field: string]: unknown }>;
let reconciler: Reconciler;
let limiter: RateLimiter;
let caps: SubscriptionCaps;

beforeAll(async () => {
  mongo = await startTestMongo();
  client = new MongoClient(mongo.uri);
  const db = client.db(uniqueDbName('reconciler'));
  reports = db.collection(CONSUMPTION_COLLECTION);
  limiter = new RateLimiter(() => Date.now());
  caps = new SubscriptionCaps();
  reconciler = new Reconciler(createLimitsStore(db), limiter, caps, {
    instanceId: 'this',
    intervalMs: 250,
    onError: (error) => {
      throw error;
    },
  });
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await client?.close();
  await mongo?.stop();
});

/** The other instance's report of the tenant, written now (by the clock as moved). */
const otherReports = (spent: number, subscriptions: number) =>
  reports.updateOne(
    { _id: `other:${TENANT}` },
    { $set: { instanceId: 'other', tenantId: TENANT, spent, subscriptions, keys: [], at: new Date() } },
    { upsert: true },
  );

const remaining = () => limiter.status(PAYER).remaining;

describe('an instance whose reports stop for a while', () => {
  it('holds no subscription once silent for a full-report period, and what it admitted meanwhile is charged when it reports again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const admitted = limiter.admit(PAYER, 1);
    if (!admitted.admitted) throw new Error('the first operation is admitted');
    limiter.settle(admitted.ticket, 1);

    await otherReports(100, 3);
    await reconciler.exchange();
    expect(caps.tenantWide(TENANT)).toBe(3);
    expect(remaining()).toBe(9999); // its first report is history, not news

    await otherReports(200, 3);
    await reconciler.exchange();
    expect(remaining()).toBe(9899);

    // Silent (its exchanges fail, or it died) for longer than a full-report period and two windows.
    vi.setSystemTime(Date.now() + FULL_REPORT_MS + 5000);
    await reconciler.exchange();
    expect(caps.tenantWide(TENANT)).toBe(0);
    expect(remaining()).toBe(9899 + 15);

    // It was alive: its next report brings back its subscriptions and charges all it admitted meanwhile.
    await otherReports(1200, 3);
    await reconciler.exchange();
    expect(caps.tenantWide(TENANT)).toBe(3);
    expect(remaining()).toBe(9899 + 15 - 1000);
  });
});

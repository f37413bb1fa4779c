import { type Collection, type Db, MongoClient } from 'mongodb';
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

/** The reconciler of an instance named `instanceId` on `db`, exchanging by hand (no timer started). */
const instance = (db: Db, instanceId: string, own: RateLimiter, ownCaps: SubscriptionCaps) =>
  new Reconciler(createLimitsStore(db), own, ownCaps, {
    instanceId,
    intervalMs: 250,
    onError: (error) => {
      throw error;
    },
  });

beforeAll(async () => {
  mongo = await startTestMongo();
  client = new MongoClient(mongo.uri);
  const db = client.db(uniqueDbName('reconciler'));
  reports = db.collection(CONSUMPTION_COLLECTION);
  limiter = new RateLimiter(() => Date.now());
  caps = new SubscriptionCaps();
  reconciler = instance(db, 'this', limiter, caps);
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await client?.close();
  await mongo?.stop();
});

/** Another instance's report of the tenant, written now (by the clock as moved). */
const otherReports = (spent: number, subscriptions: number, { instanceId = 'other', alone = false } = {}) =>
  reports.updateOne(
    { _id: `${instanceId}:${TENANT}` },
    { $set: { instanceId, tenantId: TENANT, spent, subscriptions, keys: [], at: new Date(), alone } },
    { upsert: true },
  );

/** Admits `points` for the tenant on `on` and keeps them all (no refund). */
function spend(on: RateLimiter, points: number): void {
  const admitted = on.admit(PAYER, points);
  if (!admitted.admitted) throw new Error('the operation is admitted');
  on.settle(admitted.ticket, points);
}

const remaining = () => limiter.status(PAYER).remaining;

describe('an instance whose reports stop for a while', () => {
  it('holds no subscription once silent for a full-report period, and what it admitted meanwhile is charged when it reports again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    spend(limiter, 1);

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

describe('an instance alone on its database', () => {
  it('rewrites its cost only every full-report period and its subscriptions when they change, and reports everything as soon as it hears another', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const own = new RateLimiter(() => Date.now());
    const ownCaps = new SubscriptionCaps();
    // A database of its own: the instances of the other tests are not there.
    const ownDb = client.db(uniqueDbName('reconciler-alone'));
    const ownReports: typeof reports = ownDb.collection(CONSUMPTION_COLLECTION);
    const lone = instance(ownDb, 'lone', own, ownCaps);
    /** Exchanges once, then reads the report the lone instance has in the database. */
    const exchanged = async () => {
      await lone.exchange();
      const report = await ownReports.findOne({ _id: `lone:${TENANT}` });
      return { spent: report?.spent, subscriptions: report?.subscriptions, alone: report?.alone };
    };

    spend(own, 5);
    expect(await exchanged()).toEqual({ spent: 5, subscriptions: 0, alone: true });
    spend(own, 7);
    expect(await exchanged()).toEqual({ spent: 5, subscriptions: 0, alone: true });
    ownCaps.open({}, 'sub-1', TENANT, PAYER.plan);
    expect(await exchanged()).toEqual({ spent: 12, subscriptions: 1, alone: true });
    spend(own, 3);
    expect(await exchanged()).toEqual({ spent: 12, subscriptions: 1, alone: true });
    vi.setSystemTime(Date.now() + FULL_REPORT_MS);
    expect(await exchanged()).toEqual({ spent: 15, subscriptions: 1, alone: true });

    // Another instance starts, and has admitted nothing yet: the exchange that hears it reports as
    // before, the next one everything.
    spend(own, 2);
    await instance(ownDb, 'newcomer', new RateLimiter(), new SubscriptionCaps()).exchange();
    expect(await exchanged()).toEqual({ spent: 15, subscriptions: 1, alone: true });
    expect(await exchanged()).toEqual({ spent: 17, subscriptions: 1, alone: false });
    spend(own, 1);
    expect(await exchanged()).toEqual({ spent: 18, subscriptions: 1, alone: false });
  });

  it('is charged for what it admits from its first report written among others, not for what it admitted alone', async () => {
    const before = remaining();
    const othersHeld = caps.tenantWide(TENANT);
    await otherReports(100, 2, { instanceId: 'was-alone', alone: true });
    await reconciler.exchange();
    expect(caps.tenantWide(TENANT)).toBe(othersHeld + 2);
    await otherReports(300, 1, { instanceId: 'was-alone', alone: true });
    await reconciler.exchange();
    expect(caps.tenantWide(TENANT)).toBe(othersHeld + 1);
    expect(remaining()).toBe(before);

    await otherReports(400, 1, { instanceId: 'was-alone' });
    await reconciler.exchange();
    expect(remaining()).toBe(before);
    await otherReports(450, 1, { instanceId: 'was-alone' });
    await reconciler.exchange();
    expect(remaining()).toBe(before - 50);
  });
});

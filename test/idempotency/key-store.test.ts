import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/data/ids.js';
import type { TenantDb } from '../../src/data/tenant-db.js';
import { ClaimLostError, claimKey, REPLAY_WINDOW_MS } from '../../src/modules/idempotency/key-store.js';
import { startTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The key store on the real driver: what happens to a claim whose owner died (its lease lapses and a
 * waiting duplicate takes over), and to a key past its 24 hours (a new request executes).
 */
let env: TestDatabase;
let db: TenantDb;

beforeAll(async () => {
  env = await startTestDatabase();
  await env.database.ensureIndexes();
  db = env.database.forTenant(newId());
});

afterAll(async () => {
  await env?.stop();
});

const scope = (key: string, fingerprint = 'body-a') => ({ credential: 'user:1', key, fingerprint });
const FAST = { leaseMs: 300, pollMs: { first: 10, max: 50 } };

describe('claimKey', () => {
  it('a claim whose owner died (no renewal, no response) is taken over by one waiter once its lease lapses', async () => {
    // The pending claim of a process that died mid-request: nobody renews it.
    const now = Date.now();
    await db.collection('idempotencyKeys').insertOne({
      ...scope('died-1'),
      state: 'pending',
      owner: 'a process that died',
      leaseUntil: new Date(now + 200),
      createdAt: new Date(now),
      expiresAt: new Date(now + REPLAY_WINDOW_MS),
    });
    const decisions = [claimKey(db, scope('died-1'), FAST), claimKey(db, scope('died-1'), FAST)];
    const taker = await Promise.race(decisions);
    expect(Date.now() - now).toBeGreaterThanOrEqual(200);
    if (taker.kind !== 'execute') throw new Error(`expected a waiter to take the key over, got ${taker.kind}`);
    await taker.owned.complete({ status: 200, body: '{"data":{"n":1}}' });
    const kinds = (await Promise.all(decisions)).map((decision) => decision.kind);
    expect(kinds.sort()).toEqual(['execute', 'replay']);
  });

  it('a live owner keeps its claim past the lease by renewing it; duplicates wait and then replay', async () => {
    const owner = await claimKey(db, scope('slow-1'), FAST);
    if (owner.kind !== 'execute') throw new Error('expected to own the key');
    const waiting = claimKey(db, scope('slow-1'), FAST);
    // Time itself is what is under test: three leases pass while the owner is still at work.
    await new Promise((resolve) => setTimeout(resolve, 3 * FAST.leaseMs));
    await owner.owned.complete({ status: 200, body: '{"data":{"slow":true}}' });
    expect(await waiting).toEqual({ kind: 'replay', response: { status: 200, body: '{"data":{"slow":true}}' } });
  });

  it('a response stored in a transaction commits with its writes, and not at all once a duplicate took the claim over', async () => {
    const parks = db.collection('parks');
    const owner = await db.withTransaction(async (tx) => {
      const decision = await claimKey(db, scope('atomic-1'), FAST, tx.sessionId);
      if (decision.kind !== 'execute') throw new Error('expected to own the key');
      await tx.collection('parks').insertOne({ name: 'Atomic Park', capacity: 1 });
      await decision.owned.completeIn(tx, { status: 200, body: '{"data":{"atomic":true}}' });
      return decision.owned;
    });
    owner.settled();
    expect(await claimKey(db, scope('atomic-1'), FAST)).toEqual({
      kind: 'replay',
      response: { status: 200, body: '{"data":{"atomic":true}}' },
    });

    // An owner that paused past its lease (no renewal: its process was stopped) lost the key to a
    // duplicate: what it writes with its response must not commit.
    const paused = await claimKey(db, scope('atomic-2'), FAST);
    if (paused.kind !== 'execute') throw new Error('expected to own the key');
    paused.owned.settled();
    const successor = await claimKey(db, scope('atomic-2'), FAST);
    expect(successor.kind).toBe('execute');
    await expect(
      db.withTransaction(async (tx) => {
        await tx.collection('parks').insertOne({ name: 'Paused Park', capacity: 1 });
        await paused.owned.completeIn(tx, { status: 200, body: '{"data":{"paused":true}}' });
      }),
    ).rejects.toThrow(ClaimLostError);
    expect(await parks.find({ name: 'Paused Park' })).toEqual([]);
  });

  it('a released key (nothing done) is free again; a different body is a conflict only while the key lives', async () => {
    const first = await claimKey(db, scope('released-1'), FAST);
    if (first.kind !== 'execute') throw new Error('expected to own the key');
    expect(await claimKey(db, scope('released-1', 'body-b'), FAST)).toEqual({ kind: 'conflict' });
    await first.owned.release();
    expect((await claimKey(db, scope('released-1', 'body-b'), FAST)).kind).toBe('execute');
  });

  it('a key older than 24 hours is forgotten: the same request executes again', async () => {
    const past = new Date(Date.now() - REPLAY_WINDOW_MS - 60_000);
    await db.collection('idempotencyKeys').insertOne({
      credential: 'user:1',
      key: 'old-1',
      fingerprint: 'body-a',
      state: 'completed',
      owner: 'gone',
      leaseUntil: past,
      response: { status: 200, body: '{"data":{"old":true}}' },
      createdAt: past,
      expiresAt: new Date(past.getTime() + REPLAY_WINDOW_MS),
    });
    expect((await claimKey(db, scope('old-1'), FAST)).kind).toBe('execute');
  });

  it('a lapsed key keeps its claim: the next request takes it over at once, with the same derived ids', async () => {
    const first = await claimKey(db, scope('lapsed-1'), FAST);
    if (first.kind !== 'execute') throw new Error('expected to own the key');
    const ids = first.owned.derivedIds();
    const [one, two] = [ids(), ids()];
    expect([one, two].every((id) => /^[0-9a-f]{24}$/.test(id))).toBe(true);
    expect(one).not.toBe(two);
    await first.owned.lapse();
    const started = Date.now();
    const retry = await claimKey(db, scope('lapsed-1'), FAST);
    if (retry.kind !== 'execute') throw new Error('expected the retry to own the key');
    expect(Date.now() - started).toBeLessThan(FAST.leaseMs);
    const again = retry.owned.derivedIds();
    expect([again(), again()]).toEqual([one, two]);
    // Another key derives others.
    const other = await claimKey(db, scope('lapsed-2'), FAST);
    if (other.kind !== 'execute') throw new Error('expected to own the key');
    expect(other.owned.derivedIds()()).not.toBe(one);
  });
});

describe('a transaction of the shared database', () => {
  it("holds the platform's writes, the tenant's shared collections and a key's response, all or nothing", async () => {
    const claim = await claimKey(db, scope('shared-1'), FAST, undefined, 'sharedIdempotencyKeys');
    if (claim.kind !== 'execute') throw new Error('expected to own the key');
    const email = `shared-${newId()}@example.com`;
    const aborted = db.withSharedTransaction(async (tx, platform) => {
      await platform.collection('users').insertOne({ email });
      await tx.collection('apiKeys').insertOne({ name: 'in the shared transaction' });
      await claim.owned.completeIn(tx, { status: 200, body: '{}' });
      throw new Error('abort');
    });
    await expect(aborted).rejects.toThrow('abort');
    expect(await env.database.platform.collection('users').findOne({ email })).toBeNull();
    expect(await db.collection('apiKeys').findOne({ name: 'in the shared transaction' })).toBeNull();

    await db.withSharedTransaction(async (tx, platform) => {
      await platform.collection('users').insertOne({ email });
      await claim.owned.completeIn(tx, { status: 200, body: '{"data":{}}' });
    });
    expect(await env.database.platform.collection('users').findOne({ email })).not.toBeNull();
    expect(await claimKey(db, scope('shared-1'), FAST, undefined, 'sharedIdempotencyKeys')).toEqual({
      kind: 'replay',
      response: { status: 200, body: '{"data":{}}' },
    });
    // The same key in the placement's collection is another key.
    expect((await claimKey(db, scope('shared-1'), FAST)).kind).toBe('execute');
  });

  it("reads the tenant's placement data as committed and refuses to write it", async () => {
    await db.collection('parks').insertOne({ name: 'Placed Park' });
    await expect(
      db.withSharedTransaction(async (tx) => {
        expect(await tx.collection('parks').findOne({ name: 'Placed Park' })).not.toBeNull();
        await tx.collection('parks').insertOne({ name: 'Written In Shared' });
      }),
    ).rejects.toThrow(/cannot write parks, kept in the tenant's placement/);
    expect(await db.collection('parks').findOne({ name: 'Written In Shared' })).toBeNull();
  });
});

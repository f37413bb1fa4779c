import { MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityChange, IdentityFeed } from '../../src/data/identity-feed.js';
import { newId } from '../../src/data/ids.js';
import { startTestDatabase, type TestDatabase } from '../support/database.js';

/** The identity change feed (src/data/identity-feed.ts) against the test server, through the driver. */
let fixture: TestDatabase;
const feeds: IdentityFeed[] = [];

beforeAll(async () => {
  fixture = await startTestDatabase();
});
afterEach(async () => {
  await Promise.all(feeds.splice(0).map((feed) => feed.stop()));
});
afterAll(() => fixture?.stop());

/** What one feed delivered, and a way to await the next deliveries without polling. */
interface Recorder {
  seen: IdentityChange[];
  feed: IdentityFeed;
  /** Resolves with everything seen once `count` changes arrived; fails after 5 s. */
  changes(count: number): Promise<IdentityChange[]>;
  /** Resolves with everything seen once `done` holds for it; fails after 5 s. */
  until(done: (seen: IdentityChange[]) => boolean): Promise<IdentityChange[]>;
}

async function start(): Promise<Recorder> {
  const seen: IdentityChange[] = [];
  const waiters = new Set<() => void>();
  const feed = await fixture.database.watchIdentity((change) => {
    seen.push(change);
    for (const waiter of waiters) waiter();
  });
  feeds.push(feed);
  const until = (done: (all: IdentityChange[]) => boolean) =>
    new Promise<IdentityChange[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out with ${JSON.stringify(seen)}`));
      }, 5000);
      function check() {
        if (!done(seen)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve([...seen]);
      }
      waiters.add(check);
      check();
    });
  return { seen, feed, until, changes: (count) => until((all) => all.length >= count) };
}

const memberships = () => fixture.database.platform.collection('memberships');
const newMembership = (userId: string) =>
  memberships().insertOne({ userId, tenantId: newId(), roles: ['VIEWER'], updatedAt: new Date() });
/** A change every feed reports: written after what a test expects to be skipped, it proves the skip. */
const sentinel = async () => {
  const { _id, userId, tenantId } = await newMembership('sentinel');
  return { kind: 'membership', membershipId: _id, userId, tenantId } as IdentityChange;
};

describe('watchIdentity', () => {
  it('reports membership inserts, updates and deletes by membership id; a delete carries only the id', async () => {
    const feed = await start();
    const inserted = await memberships().insertOne({
      userId: 'u1',
      tenantId: 't1',
      roles: ['VIEWER'],
      updatedAt: new Date(),
    });
    await memberships().updateOne({ _id: inserted._id }, { $set: { roles: ['ADMIN'] } });
    await memberships().deleteOne({ _id: inserted._id });
    expect(await feed.changes(3)).toEqual([
      { kind: 'membership', membershipId: inserted._id, userId: 'u1', tenantId: 't1' },
      // updateLookup reads the document when the event is read: it may already be gone (null) by then.
      expect.objectContaining({ kind: 'membership', membershipId: inserted._id }),
      { kind: 'membership', membershipId: inserted._id, userId: null, tenantId: null },
    ]);
  });

  it('reports users by id with their subject, and API keys by id', async () => {
    const feed = await start();
    const keyId = newId();
    const user = await fixture.database.platform
      .collection('users')
      .insertOne({ subject: 's-1', email: 'x@example.com', activeTenantId: null, createdAt: new Date() });
    await fixture.database
      .forTenant(newId())
      .collection('apiKeys')
      .insertOne({ _id: keyId, name: 'k', revokedAt: null });
    await fixture.database.platform.collection('users').deleteOne({ _id: user._id });
    expect(await feed.changes(3)).toEqual([
      { kind: 'user', userId: user._id, subject: 's-1' },
      { kind: 'apiKey', keyId },
      { kind: 'user', userId: user._id, subject: null },
    ]);
  });

  it('ignores bookkeeping writes (a key’s lastUsedAt) and other collections', async () => {
    const feed = await start();
    const keys = fixture.database.forTenant(newId()).collection('apiKeys');
    const key = await keys.insertOne({ name: 'k2', revokedAt: null, lastUsedAt: null });
    await keys.updateOne({ _id: key._id }, { $set: { lastUsedAt: new Date() } });
    await fixture.database.forTenant(newId()).collection('parks').insertOne({ name: 'P' });
    await keys.updateOne({ _id: key._id }, { $set: { revokedAt: new Date() } });
    const last = await sentinel();
    // In oplog order: had the skipped writes been reported, they would sit before the sentinel.
    expect(await feed.changes(3)).toEqual([
      { kind: 'apiKey', keyId: key._id },
      { kind: 'apiKey', keyId: key._id },
      last,
    ]);
  });

  it('never carries a key’s secret hash or any other field', async () => {
    const raw: unknown[] = [];
    const feed = await start();
    feeds.push(await fixture.database.watchIdentity((change) => raw.push(change)));
    const key = await fixture.database
      .forTenant(newId())
      .collection('apiKeys')
      .insertOne({ name: 'k3', secretHash: 'h'.repeat(64) });
    // Both feeds are established and follow the same stream: once the first saw the key, so did the second.
    await feed.changes(1);
    await fixture.database.platform.collection('users').insertOne({ subject: 's-2', email: 'y@example.com' });
    await feed.changes(2);
    expect(raw[0]).toEqual({ kind: 'apiKey', keyId: key._id });
    expect(JSON.stringify(raw)).not.toMatch(/hhhh|k3/);
  });

  it('delivers nothing after stop, and stops promptly while a getMore is waiting', async () => {
    const stopped = await start();
    const running = await start();
    const started = Date.now();
    await stopped.feed.stop();
    expect(Date.now() - started).toBeLessThan(500);
    const membership = await newMembership('u9');
    // The feed still running reports it: the stopped one had every chance to.
    expect(await running.changes(1)).toEqual([
      { kind: 'membership', membershipId: membership._id, userId: 'u9', tenantId: membership.tenantId },
    ]);
    expect(stopped.seen).toEqual([]);
  });

  it('is established when watchIdentity resolves: a change committed right after is delivered', async () => {
    const feed = await start();
    const membership = await memberships().insertOne({
      userId: 'u2',
      tenantId: 't2',
      roles: ['VIEWER'],
      updatedAt: new Date(),
    });
    expect(await feed.changes(1)).toEqual([
      { kind: 'membership', membershipId: membership._id, userId: 'u2', tenantId: 't2' },
    ]);
  });

  it('reports reset when the database is dropped (the stream is invalidated), then goes on', async () => {
    const feed = await start();
    const first = await newMembership('u3');
    await feed.changes(1);
    const client = await MongoClient.connect(fixture.mongo.uri);
    try {
      await client.db(fixture.dbName).dropDatabase();
    } finally {
      await client.close();
    }
    // Committed at once, whether or not the stream has been reopened yet: nothing after the drop is lost.
    const later = await newMembership('u4');
    const all = await feed.until((seen) =>
      seen.some((change) => change.kind === 'membership' && change.userId === 'u4'),
    );
    const kinds = all.map((change) => change.kind);
    expect(kinds[0]).toBe('membership');
    expect(kinds.slice(1, -1).every((kind) => kind === 'reset')).toBe(true);
    expect(kinds.slice(1, -1)).toContain('reset');
    expect(all[0]).toMatchObject({ membershipId: first._id });
    expect(all.at(-1)).toEqual({ kind: 'membership', membershipId: later._id, userId: 'u4', tenantId: later.tenantId });
  });
});

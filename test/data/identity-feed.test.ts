import { MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityChange, IdentityFeed } from '../../src/data/identity-feed.js';
import { newId } from '../../src/data/ids.js';
import { startTestDatabase, type TestDatabase } from './test-database.js';

/** The identity change feed (src/data/identity-feed.ts) against the test server, through the driver. */
let fixture: TestDatabase;
let feed: IdentityFeed | undefined;
const seen: IdentityChange[] = [];

beforeAll(async () => {
  fixture = await startTestDatabase();
});
afterEach(async () => {
  await feed?.stop();
  feed = undefined;
  seen.length = 0;
});
afterAll(() => fixture?.stop());

const start = async () => {
  feed = await fixture.database.watchIdentity((change) => seen.push(change));
};

/** Waits until `count` changes arrived (or fails after 2 s). */
async function changes(count: number): Promise<IdentityChange[]> {
  const deadline = Date.now() + 2000;
  while (seen.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(seen.length).toBeGreaterThanOrEqual(count);
  return [...seen];
}

describe('watchIdentity', () => {
  it('reports membership inserts, updates and deletes by membership id; a delete carries only the id', async () => {
    await start();
    const memberships = fixture.database.platform.collection('memberships');
    const inserted = await memberships.insertOne({
      userId: 'u1',
      tenantId: 't1',
      roles: ['VIEWER'],
      updatedAt: new Date(),
    });
    await memberships.updateOne({ _id: inserted._id }, { $set: { roles: ['ADMIN'] } });
    await memberships.deleteOne({ _id: inserted._id });
    expect(await changes(3)).toEqual([
      { kind: 'membership', membershipId: inserted._id, userId: 'u1', tenantId: 't1' },
      // updateLookup reads the document when the event is read: it may already be gone (null) by then.
      expect.objectContaining({ kind: 'membership', membershipId: inserted._id }),
      { kind: 'membership', membershipId: inserted._id, userId: null, tenantId: null },
    ]);
  });

  it('reports users by id with their subject, and API keys by id', async () => {
    await start();
    const keyId = newId();
    const user = await fixture.database.platform
      .collection('users')
      .insertOne({ subject: 's-1', email: 'x@example.com', activeTenantId: null, createdAt: new Date() });
    await fixture.database
      .forTenant(newId())
      .collection('apiKeys')
      .insertOne({ _id: keyId, name: 'k', revokedAt: null });
    await fixture.database.platform.collection('users').deleteOne({ _id: user._id });
    expect(await changes(3)).toEqual([
      { kind: 'user', userId: user._id, subject: 's-1' },
      { kind: 'apiKey', keyId },
      { kind: 'user', userId: user._id, subject: null },
    ]);
  });

  it('ignores bookkeeping writes (a key’s lastUsedAt) and other collections', async () => {
    await start();
    const keys = fixture.database.forTenant(newId()).collection('apiKeys');
    const key = await keys.insertOne({ name: 'k2', revokedAt: null, lastUsedAt: null });
    await keys.updateOne({ _id: key._id }, { $set: { lastUsedAt: new Date() } });
    await fixture.database.forTenant(newId()).collection('parks').insertOne({ name: 'P' });
    await keys.updateOne({ _id: key._id }, { $set: { revokedAt: new Date() } });
    expect(await changes(2)).toEqual([
      { kind: 'apiKey', keyId: key._id },
      { kind: 'apiKey', keyId: key._id },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toHaveLength(2);
  });

  it('never carries a key’s secret hash or any other field', async () => {
    const raw: unknown[] = [];
    feed = await fixture.database.watchIdentity((change) => raw.push(change));
    await fixture.database
      .forTenant(newId())
      .collection('apiKeys')
      .insertOne({ name: 'k3', secretHash: 'h'.repeat(64) });
    const deadline = Date.now() + 2000;
    while (raw.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(JSON.stringify(raw)).not.toMatch(/hhhh|k3/);
  });

  it('delivers nothing after stop, and stops promptly while a getMore is waiting', async () => {
    await start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await feed!.stop();
    feed = undefined;
    expect(Date.now() - started).toBeLessThan(500);
    await fixture.database.platform
      .collection('memberships')
      .insertOne({ userId: 'u9', tenantId: 't9', roles: ['VIEWER'], updatedAt: new Date() });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual([]);
  });

  it('is established when watchIdentity resolves: a change committed right after is delivered', async () => {
    await start();
    const membership = await fixture.database.platform
      .collection('memberships')
      .insertOne({ userId: 'u2', tenantId: 't2', roles: ['VIEWER'], updatedAt: new Date() });
    expect(await changes(1)).toEqual([
      { kind: 'membership', membershipId: membership._id, userId: 'u2', tenantId: 't2' },
    ]);
  });

  it('reports reset when the database is dropped (the stream is invalidated), then reopens and goes on', async () => {
    await start();
    const memberships = fixture.database.platform.collection('memberships');
    await memberships.insertOne({ userId: 'u3', tenantId: 't3', roles: ['VIEWER'], updatedAt: new Date() });
    await changes(1);
    seen.length = 0;
    const client = await MongoClient.connect(fixture.mongo.uri);
    try {
      await client.db(fixture.dbName).dropDatabase();
    } finally {
      await client.close();
    }
    expect(await changes(1)).toContainEqual({ kind: 'reset' });
    expect(seen.every((change) => change.kind === 'reset')).toBe(true);
    // Reopened from now (the invalidated stream cannot be resumed): later changes still arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const membership = await memberships.insertOne({
      userId: 'u4',
      tenantId: 't4',
      roles: ['VIEWER'],
      updatedAt: new Date(),
    });
    const deadline = Date.now() + 2000;
    while (!seen.some((change) => change.kind === 'membership') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen.filter((change) => change.kind !== 'reset')).toEqual([
      { kind: 'membership', membershipId: membership._id, userId: 'u4', tenantId: 't4' },
    ]);
  });
});

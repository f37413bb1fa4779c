import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IdentityDirectory, type IdentityNotice } from '../../src/tenancy/identity-directory.js';
import type { MembershipDocument } from '../../src/tenancy/identity-documents.js';
import { startTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * IdentityDirectory.applyChange: a committed change (from the identity feed) forgets exactly what
 * it made stale, even a delete that names only a document id, and tells its listeners whose rights
 * changed. Reads are counted through the driver's commands: a cache hit sends none.
 */
let fixture: TestDatabase;
let directory: IdentityDirectory;
let notices: IdentityNotice[];
let frankMembership: MembershipDocument;

beforeAll(async () => {
  fixture = await startTestDatabase();
  const { platform } = fixture.database;
  await platform.collection('users').insertOne({
    _id: 'aaaaaaaaaaaaaaaaaaaaaaa1',
    subject: 'frank',
    email: 'frank@example.com',
    activeTenantId: null,
    createdAt: new Date(),
  });
  await platform.collection('users').insertOne({
    _id: 'aaaaaaaaaaaaaaaaaaaaaaa2',
    subject: 'dave',
    email: 'dave@example.com',
    activeTenantId: null,
    createdAt: new Date(),
  });
  frankMembership = await platform.collection<MembershipDocument>('memberships').insertOne({
    userId: 'aaaaaaaaaaaaaaaaaaaaaaa1',
    tenantId: 'bbbbbbbbbbbbbbbbbbbbbbb1',
    roles: ['INTEGRATOR'],
    updatedAt: new Date(),
  });
  await platform.collection<MembershipDocument>('memberships').insertOne({
    userId: 'aaaaaaaaaaaaaaaaaaaaaaa2',
    tenantId: 'bbbbbbbbbbbbbbbbbbbbbbb1',
    roles: ['VIEWER'],
    updatedAt: new Date(),
  });
});
beforeEach(async () => {
  directory = new IdentityDirectory(fixture.database, 60_000);
  notices = [];
  directory.onChange((notice) => notices.push(notice));
  // Warm the caches.
  await directory.usersBySubject('frank');
  await directory.usersBySubject('dave');
  await directory.membershipsOfUser('aaaaaaaaaaaaaaaaaaaaaaa1');
  await directory.membershipsOfUser('aaaaaaaaaaaaaaaaaaaaaaa2');
  fixture.commands.length = 0;
});
afterAll(() => fixture?.stop());

const reads = async (read: () => Promise<unknown>) => {
  fixture.commands.length = 0;
  await read();
  return fixture.commands.length;
};

describe('applyChange', () => {
  it('a deleted membership (only its id) forgets its user’s memberships, nobody else’s', async () => {
    directory.applyChange({ kind: 'membership', membershipId: frankMembership._id, userId: null, tenantId: null });
    expect(notices).toEqual([{ kind: 'user', userId: 'aaaaaaaaaaaaaaaaaaaaaaa1' }]);
    expect(await reads(() => directory.membershipsOfUser('aaaaaaaaaaaaaaaaaaaaaaa1'))).toBe(1);
    expect(await reads(() => directory.membershipsOfUser('aaaaaaaaaaaaaaaaaaaaaaa2'))).toBe(0);
  });

  it('a membership this instance never read is attributed to nobody: every membership is forgotten', async () => {
    directory.applyChange({
      kind: 'membership',
      membershipId: 'cccccccccccccccccccccccc',
      userId: null,
      tenantId: null,
    });
    expect(notices).toEqual([{ kind: 'everyone' }]);
    expect(await reads(() => directory.membershipsOfUser('aaaaaaaaaaaaaaaaaaaaaaa2'))).toBe(1);
  });

  it('an updated membership names its user', async () => {
    directory.applyChange({
      kind: 'membership',
      membershipId: 'cccccccccccccccccccccccd',
      userId: 'aaaaaaaaaaaaaaaaaaaaaaa2',
      tenantId: 'x',
    });
    expect(notices).toEqual([{ kind: 'user', userId: 'aaaaaaaaaaaaaaaaaaaaaaa2' }]);
    expect(await reads(() => directory.membershipsOfUser('aaaaaaaaaaaaaaaaaaaaaaa1'))).toBe(0);
    expect(await reads(() => directory.membershipsOfUser('aaaaaaaaaaaaaaaaaaaaaaa2'))).toBe(1);
  });

  it('a deleted user (only its id) forgets that user by the subject it was read with', async () => {
    directory.applyChange({ kind: 'user', userId: 'aaaaaaaaaaaaaaaaaaaaaaa1', subject: null });
    expect(notices).toEqual([{ kind: 'user', userId: 'aaaaaaaaaaaaaaaaaaaaaaa1' }]);
    expect(await reads(() => directory.usersBySubject('frank'))).toBe(1);
    expect(await reads(() => directory.usersBySubject('dave'))).toBe(0);
  });

  it('an API key change forgets that key; a reset forgets everything and concerns everyone', async () => {
    directory.applyChange({ kind: 'apiKey', keyId: 'dddddddddddddddddddddddd' });
    expect(notices).toEqual([{ kind: 'apiKey', keyId: 'dddddddddddddddddddddddd' }]);
    directory.applyChange({ kind: 'reset' });
    expect(notices.at(-1)).toEqual({ kind: 'everyone' });
    expect(await reads(() => directory.usersBySubject('dave'))).toBe(1);
    expect(await reads(() => directory.membershipsOfUser('aaaaaaaaaaaaaaaaaaaaaaa2'))).toBe(1);
  });

  it('listeners can stop listening', () => {
    const seen: IdentityNotice[] = [];
    const stop = directory.onChange((notice) => seen.push(notice));
    stop();
    directory.applyChange({ kind: 'reset' });
    expect(seen).toEqual([]);
  });
});

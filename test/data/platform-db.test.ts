import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDuplicateKeyError, UnsafeQueryError } from '../../src/data/errors.js';
import { newId } from '../../src/data/ids.js';
import { startTestDatabase, type TestDatabase } from '../support/database.js';

interface Membership {
  _id: string;
  userId: string;
  tenantId: string;
  roles: string[];
}

interface ApiKey {
  _id: string;
  tenantId: string;
  name: string;
}

let env: TestDatabase;

beforeAll(async () => {
  env = await startTestDatabase();
  await env.database.ensureIndexes();
});

afterAll(async () => {
  await env?.stop();
});

describe('platform collections', () => {
  it('read memberships across tenants, for a user’s list', async () => {
    const memberships = env.database.platform.collection<Membership>('memberships');
    const userId = newId();
    const [t1, t2] = [newId(), newId()];
    await memberships.insertOne({ userId, tenantId: t1, roles: ['ADMIN'] });
    await memberships.insertOne({ userId, tenantId: t2, roles: ['VIEWER'] });
    const found = await memberships.find({ userId }, { sort: { tenantId: 1 } });
    expect(found.map((m) => m.tenantId)).toEqual([t1, t2].sort());
  });

  it('upsertOne gives a new document a string id', async () => {
    const memberships = env.database.platform.collection<Membership>('memberships');
    const userId = newId();
    const tenantId = newId();
    const created = await memberships.upsertOne({ tenantId, userId }, { $set: { roles: ['EDITOR'] } });
    expect(created).toEqual({ _id: expect.stringMatching(/^[0-9a-f]{24}$/), tenantId, userId, roles: ['EDITOR'] });
    const updated = await memberships.upsertOne({ tenantId, userId }, { $set: { roles: ['ADMIN'] } });
    expect(updated).toEqual({ ...created, roles: ['ADMIN'] });
  });

  it('report a unique-index violation as a duplicate key', async () => {
    const tenants = env.database.platform.collection('tenants');
    await tenants.insertOne({ slug: 'dup', name: 'One' });
    const error: unknown = await tenants.insertOne({ slug: 'dup', name: 'Two' }).catch((e: unknown) => e);
    expect(isDuplicateKeyError(error)).toBe(true);
  });

  it('get the same refusals as tenant data', async () => {
    const users = env.database.platform.collection('users');
    await expect(users.find({ $where: 'true' })).rejects.toThrow(UnsafeQueryError);
    await expect(users.updateOne({ email: 'x' }, { $set: { _id: newId() } })).rejects.toThrow(UnsafeQueryError);
    expect(await users.findById({ $ne: null })).toBeNull();
  });

  it('do not include tenant collections', () => {
    expect(() => env.database.platform.collection('apiKeys' as never)).toThrow(UnsafeQueryError);
  });
});

describe('apiKeyById', () => {
  it('finds a key whatever its tenant, with its tenantId', async () => {
    const tenantId = newId();
    const key = await env.database.forTenant(tenantId).collection<ApiKey>('apiKeys').insertOne({ name: 'ci' });
    expect(await env.database.platform.apiKeyById<ApiKey>(key._id)).toEqual({ _id: key._id, tenantId, name: 'ci' });
  });

  it('answers null for an unknown or malformed id, without a query for a malformed one', async () => {
    expect(await env.database.platform.apiKeyById(newId())).toBeNull();
    env.commands.length = 0;
    expect(await env.database.platform.apiKeyById({ $ne: null })).toBeNull();
    expect(await env.database.platform.apiKeyById('tgk_x')).toBeNull();
    expect(env.commands).toEqual([]);
  });
});

describe('platform withTransaction', () => {
  it('writes all or nothing', async () => {
    const slug = `tx-${newId()}`;
    await expect(
      env.database.platform.withTransaction(async (tx) => {
        await tx.collection('tenants').insertOne({ slug, name: 'T' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await env.database.platform.collection('tenants').findOne({ slug })).toBeNull();
  });
});

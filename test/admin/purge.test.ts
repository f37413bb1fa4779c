import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asOperator, tenantDocuments } from '../support/admin.js';
import { codes, startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';

/** CONTRACT.md section 10: purgeTenant deletes every document of the tenant, from every collection. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const asOlivia = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
  asOperator<T>(server, query, variables);
const documentsOf = (tenantId: string) => tenantDocuments(server, tenantId);

describe('purgeTenant', () => {
  it('is refused while the tenant is active, and without the slug repeated, deleting nothing', async () => {
    expect(codes(await asOlivia('mutation { purgeTenant(slug: "colorado", confirm: "colorado") { total } }'))).toEqual([
      'BAD_USER_INPUT',
    ]);
    await asOlivia('mutation { suspendTenant(slug: "colorado", reason: "offboarding") { slug } }');
    expect(codes(await asOlivia('mutation { purgeTenant(slug: "colorado", confirm: "texas") { total } }'))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const carol = await server.app.services.database.platform.collection('tenants').findOne({ slug: 'colorado' });
    expect(Object.keys(await documentsOf(carol!._id as string)).length).toBeGreaterThan(2);
  });

  it('deletes every document of the tenant in every collection (read back from the database), and nothing of others', async () => {
    const platform = server.app.services.database.platform;
    const tenant = await platform.collection('tenants').findOne({ slug: 'washington' });
    const tenantId = tenant!._id as string;
    // Data in as many collections as the API writes: a key, a park (and its event), an export link secret.
    await server.as('bob@example.com', 'mutation { createPark(input: { name: "Last One" }) { id } }');
    await platform
      .collection('memberships')
      .upsertOne({ tenantId, userId: 'someone' }, { $set: { roles: ['VIEWER'] } });
    // Staged files, named by the tenant in the staging store rather than by a tenantId field: an archive
    // of each tenant (texas's must survive washington's purge).
    for (const slug of ['washington', 'texas']) {
      const staged = await asOlivia('mutation ($slug: String!) { exportTenant(slug: $slug) { url } }', { slug });
      expect(staged.errors).toBeUndefined();
    }
    // The limiter reports what it admitted every RATE_LIMIT_SYNC_MS, in the background: count once bob's is in.
    await until(async () => 'rateLimitConsumption' in (await documentsOf(tenantId)), "bob's consumption report");
    const before = await documentsOf(tenantId);
    const texasBefore = await documentsOf(
      (await platform.collection('tenants').findOne({ slug: 'texas' }))!._id as string,
    );
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining(['parks', 'reservations', 'memberships', 'tenants', 'staging.files', 'staging.chunks']),
    );
    expect(texasBefore['staging.files']).toBe(1);

    await asOlivia('mutation { suspendTenant(slug: "washington", reason: "offboarding") { slug } }');
    const purged = await asOlivia<{
      purgeTenant: { tenant: string; total: number; deleted: Array<{ collection: string; deleted: number }> };
    }>(
      'mutation { purgeTenant(slug: "washington", confirm: "washington") { tenant total deleted { collection deleted } } }',
    );
    expect(purged.errors).toBeUndefined();
    const report = Object.fromEntries(purged.data!.purgeTenant.deleted.map((c) => [c.collection, c.deleted]));
    // Files are reported as files (`staging.files`); their chunks go with them.
    const { tenants: _tenant, 'staging.chunks': _chunks, ...owned } = before;
    expect(report).toEqual(owned);

    expect(await documentsOf(tenantId)).toEqual({});
    const texasId = (await platform.collection('tenants').findOne({ slug: 'texas' }))!._id as string;
    expect(await documentsOf(texasId)).toEqual(texasBefore);
    const log = await asOlivia<{ auditLog: Array<{ action: string; tenant: string }> }>(
      '{ auditLog(first: 1) { action tenant } }',
    );
    expect(log.data!.auditLog[0]).toEqual({ action: 'purgeTenant', tenant: 'washington' });
  });
});

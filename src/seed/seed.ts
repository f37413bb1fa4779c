import { createHash } from 'node:crypto';
import type { Database } from '../data/database.js';
import type { TenantDb } from '../data/tenant-db.js';
import type { MembershipDocument, TenantDocument, UserDocument } from '../tenancy/identity-documents.js';
import { DEMO_TENANTS, DEMO_USERS, type DemoTenantSlug } from './demo-identities.js';

/** A module's demo data for one demo tenant (its `seed`); idempotent. */
export type DemoDataStep = (db: TenantDb, tenant: DemoTenantSlug) => Promise<void>;

/** A stable id per seeded object, so that seeding twice finds and keeps what the first run wrote. */
export const seedId = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 24);

/**
 * Loads the demo data of CONTRACT.md section 4: the tenants, users and memberships here, the rest from
 * the modules. Idempotent: documents are inserted only when missing,
 * so a second run (or a run over data that users have since changed) changes nothing.
 */
export async function seedDemoData(database: Database, moduleSteps: readonly DemoDataStep[]): Promise<void> {
  const { platform } = database;
  const now = new Date();
  const tenantIds = new Map<string, string>();
  for (const tenant of DEMO_TENANTS) {
    const _id = seedId(`tenant:${tenant.slug}`);
    tenantIds.set(tenant.slug, _id);
    await platform
      .collection<TenantDocument>('tenants')
      .insertIfMissing({ _id, slug: tenant.slug, name: tenant.name, plan: tenant.plan, createdAt: now });
  }
  for (const user of DEMO_USERS) {
    const userId = seedId(`user:${user.email}`);
    await platform.collection<UserDocument>('users').insertIfMissing({
      _id: userId,
      subject: user.email,
      email: user.email,
      activeTenantId: user.activeTenant ? (tenantIds.get(user.activeTenant) ?? null) : null,
      createdAt: now,
      ...(user.operator ? { platformRoles: ['OPERATOR' as const] } : {}),
    });
    for (const [slug, roles] of Object.entries(user.memberships)) {
      const tenantId = tenantIds.get(slug);
      if (!tenantId || !roles) continue;
      await platform.collection<MembershipDocument>('memberships').insertIfMissing({
        _id: seedId(`membership:${user.email}:${slug}`),
        userId,
        tenantId,
        roles,
        updatedAt: now,
      });
    }
  }
  // Each module's own demo data (its `seed`), tenant by tenant, in registry order.
  for (const tenant of DEMO_TENANTS) {
    const tenantId = tenantIds.get(tenant.slug);
    if (!tenantId) continue;
    for (const seed of moduleSteps) await seed(database.forTenant(tenantId), tenant.slug);
  }
}

import type { Logger } from 'pino';
import type { Principal } from './auth/principal.js';
import type { TenantApiKeys } from './tenancy/tenant-api-keys.js';
import type { Role } from './authz/roles.js';
import type { TenantBi } from './bi/tenant-bi.js';
import type { TenantDb } from './data/tenant-db.js';
import type { TenantExportEvents } from './events/subscription.js';
import type { TenantJobs } from './jobs/tenant-jobs.js';
import type { TenantLimits } from './limits/limits.js';
import type { Loaders } from './modules/loaders.js';
import type { ActiveTenant } from './tenancy/active-tenant.js';
import type { CallerIdentity } from './tenancy/caller-identity.js';
import type { TenantMembers } from './tenancy/tenant-members.js';

export type { ActiveTenant } from './tenancy/active-tenant.js';

/**
 * What every resolver and every permission rule receives: the verified scope of the request and
 * capabilities already bound to it. Built per request (and per subscription operation) by one
 * function in src/server/request-context.ts, whatever the transport; never shared between requests.
 *
 * It holds no service locator, no raw database, no platform handle and no way to name another
 * tenant: each tenant capability was built for the active tenant and is null without one, so a
 * feature cannot forget the tenant because it never gets to choose it
 * (test/architecture/context.test.ts keeps it so).
 */
export interface RequestContext {
  requestId: string;
  /** The verified caller. Requests without valid credentials never reach a resolver. */
  principal: Principal;
  /** Null for a user who belongs to no tenant: such a caller can only read `viewer`. */
  tenant: ActiveTenant | null;
  /** The caller's roles in the active tenant, read from the database (never from token claims). */
  roles: ReadonlySet<Role>;
  logger: Logger;
  /** The caller's own identity data: memberships, switching the stored active tenant. */
  caller: CallerIdentity;
  /** The active tenant's data (src/data/tenant-db.ts). */
  db: TenantDb | null;
  /** The request's DataLoaders over the active tenant's data (every module's, src/modules/loaders.ts). */
  loaders: Loaders;
  /** The active tenant's members. */
  members: TenantMembers | null;
  /** The active tenant's API keys. */
  apiKeys: TenantApiKeys | null;
  /** The active tenant's trusted operations and export links, created by this caller. */
  bi: TenantBi | null;
  /** The active tenant's export events, delivered as the caller's roles allow. */
  exportEvents: TenantExportEvents | null;
  /** The active tenant's bucket, plan and usage ledger, as this caller is held to them. */
  limits: TenantLimits | null;
  /** The active tenant's import and export jobs, created in the caller's name, as the caller may see them. */
  jobs: TenantJobs | null;
}

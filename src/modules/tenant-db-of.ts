import type { RequestContext } from '../context.js';
import type { TenantDb } from '../data/tenant-db.js';
import { forbidden } from '../errors.js';

/**
 * A capability of the request's active tenant (its data, members, API keys, BI…); a caller without an
 * active tenant holds none of them and reaches nothing.
 */
export function requireTenant<T>(capability: T | null): T {
  if (capability === null) throw forbidden('No active tenant');
  return capability;
}

/** The request's tenant-bound data layer. */
export const requireTenantDb = (ctx: Pick<RequestContext, 'db'>): TenantDb => requireTenant(ctx.db);

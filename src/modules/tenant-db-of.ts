import type { RequestContext } from '../context.js';
import type { TenantDb } from '../data/tenant-db.js';
import { forbidden } from '../errors.js';

/** The request's tenant-bound data layer; a caller without an active tenant reaches no tenant data. */
export function requireTenantDb(ctx: Pick<RequestContext, 'db'>): TenantDb {
  if (!ctx.db) throw forbidden('No active tenant');
  return ctx.db;
}

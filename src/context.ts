import type { Logger } from 'pino';
import type { Principal } from './auth/principal.js';
import type { Role } from './authz/roles.js';
import type { TenantDb } from './data/tenant-db.js';
import type { Loaders } from './modules/loaders.js';
import type { Services } from './services.js';

/** The tenant a request acts in, as resolved from the principal and X-Tenant-ID. */
export interface ActiveTenant {
  id: string;
  slug: string;
  name: string;
}

/**
 * What every resolver receives. Built per request (and per subscription operation) by one function
 * in src/server/, whatever the transport; never shared between requests.
 */
export interface RequestContext {
  requestId: string;
  /** The verified caller. Requests without valid credentials never reach a resolver. */
  principal: Principal;
  /** Null for a user who belongs to no tenant: such a caller can only read `viewer`. */
  tenant: ActiveTenant | null;
  /** The caller's roles in the active tenant, read from the database (never from token claims). */
  roles: ReadonlySet<Role>;
  /** The data layer bound to the active tenant; null when there is none. */
  db: TenantDb | null;
  loaders: Loaders;
  services: Services;
  logger: Logger;
}

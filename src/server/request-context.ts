import { randomUUID } from 'node:crypto';
import { readCredential, type HeaderLookup } from '../auth/credentials.js';
import type { Principal } from '../auth/principal.js';
import type { Role } from '../authz/roles.js';
import type { ActiveTenant, RequestContext } from '../context.js';
import { unauthenticated } from '../errors.js';
import { createLoaders } from '../modules/loaders.js';
import type { Services } from '../services.js';
import { resolveTenantScope } from '../tenancy/active-tenant.js';

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/**
 * The one function that turns a request into its context, whatever the transport: credentials are
 * verified, the active tenant and roles are read from the database, and a fresh data layer and fresh
 * loaders are bound to that tenant. Throws UNAUTHENTICATED or FORBIDDEN before anything executes.
 */
export async function buildRequestContext(services: Services, header: HeaderLookup): Promise<RequestContext> {
  const offered = header('x-request-id');
  const requestId = offered && REQUEST_ID.test(offered) ? offered : randomUUID();
  const credential = readCredential(header);
  if (!credential) throw unauthenticated();
  const authentication = await services.authenticator.authenticate(credential);
  const { tenant, roles } = await resolveTenantScope(
    services.identity,
    authentication,
    header('x-tenant-id')?.trim() || null,
  );
  return contextFor(services, { requestId, principal: authentication.principal, tenant, roles });
}

/** What a context holds that is not derived: who, in which tenant, with which roles. */
export interface ContextScope {
  requestId: string;
  principal: Principal;
  tenant: ActiveTenant | null;
  roles: ReadonlySet<Role>;
}

/**
 * The context of an already verified scope, with a fresh data layer and fresh loaders bound to its
 * tenant. buildRequestContext ends here; so does an export link (src/bi), whose scope comes from its
 * verified signature instead of credentials.
 */
export function contextFor(services: Services, { requestId, principal, tenant, roles }: ContextScope): RequestContext {
  const db = tenant ? services.database.forTenant(tenant.id) : null;
  return {
    requestId,
    principal,
    tenant,
    roles,
    db,
    loaders: createLoaders(db),
    services,
    logger: services.logger.child({
      requestId,
      tenant: tenant?.slug ?? null,
      user: principal.kind === 'user' ? principal.email : `key:${principal.keyId}`,
    }),
  };
}

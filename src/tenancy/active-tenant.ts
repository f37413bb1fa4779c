import type { Authentication } from '../auth/authenticator.js';
import type { ApiKeyPrincipal, UserPrincipal } from '../auth/principal.js';
import type { Role } from '../authz/roles.js';
import { forbidden, tenantSuspended } from '../errors.js';
import { DEFAULT_PLAN, isPlanName, type PlanName } from '../limits/plans.js';
import type { IdentityDirectory } from './identity-directory.js';
import type { TenantDocument } from './identity-documents.js';
import { keyRolesNow } from './key-rights.js';

/** The tenant a request acts in, as resolved from the principal and X-Tenant-ID. */
export interface ActiveTenant {
  id: string;
  slug: string;
  name: string;
  /** Its plan (src/limits/plans.ts), as stored on the tenant when this request started. */
  plan: PlanName;
}

export interface TenantScope {
  tenant: ActiveTenant | null;
  roles: ReadonlySet<Role>;
}

const NO_TENANT: TenantScope = { tenant: null, roles: new Set() };
const NOT_A_MEMBER = 'Not a member of this tenant';

/** The tenant as a request context holds it. */
export const toActive = (tenant: TenantDocument): ActiveTenant => ({
  id: tenant._id,
  slug: tenant.slug,
  name: tenant.name,
  plan: isPlanName(tenant.plan) ? tenant.plan : DEFAULT_PLAN,
});

/**
 * The tenant a request acts in, once the caller is known to belong to it: a suspended tenant serves
 * no request (TENANT_SUSPENDED), which only its own members and keys are told.
 */
function serving(tenant: TenantDocument, roles: Iterable<Role>): TenantScope {
  if (tenant.suspendedAt) throw tenantSuspended();
  return { tenant: toActive(tenant), roles: new Set(roles) };
}

/**
 * The active tenant of a request and the caller's roles in it: the `X-Tenant-ID` slug, else the slug
 * the user's token prefers, else the user's stored active tenant, else the API key's own tenant.
 * A named tenant the caller does not belong to is FORBIDDEN, exactly as one that does not exist. An
 * API key acts with the roles its grantor still covers, and with none left it is FORBIDDEN.
 */
export async function resolveTenantScope(
  identity: IdentityDirectory,
  authentication: Authentication,
  requestedSlug: string | null,
): Promise<TenantScope> {
  const { principal } = authentication;
  if (principal.kind === 'apiKey') return apiKeyScope(identity, principal, requestedSlug);
  return userScope(
    identity,
    principal,
    requestedSlug ?? authentication.preferredTenantSlug,
    authentication.storedTenantId,
  );
}

async function apiKeyScope(
  identity: IdentityDirectory,
  key: ApiKeyPrincipal,
  requestedSlug: string | null,
): Promise<TenantScope> {
  const tenant = await identity.tenantById(key.tenantId);
  if (!tenant || (requestedSlug !== null && requestedSlug !== tenant.slug)) throw forbidden(NOT_A_MEMBER);
  const roles = await keyRolesNow(identity, key);
  if (roles.length === 0) throw forbidden('This API key holds no role its creator still holds');
  return serving(tenant, roles);
}

async function userScope(
  identity: IdentityDirectory,
  user: UserPrincipal,
  requestedSlug: string | null,
  storedTenantId: string | null,
): Promise<TenantScope> {
  const memberships = await identity.membershipsOfUser(user.userId);
  if (requestedSlug !== null) {
    const tenant = await identity.tenantBySlug(requestedSlug);
    const membership = tenant && memberships.find((m) => m.tenantId === tenant._id);
    if (!tenant || !membership || membership.roles.length === 0) throw forbidden(NOT_A_MEMBER);
    return serving(tenant, membership.roles);
  }
  const membership = storedTenantId && memberships.find((m) => m.tenantId === storedTenantId);
  if (!membership || membership.roles.length === 0) return NO_TENANT;
  const tenant = await identity.tenantById(membership.tenantId);
  return tenant ? serving(tenant, membership.roles) : NO_TENANT;
}

/** The collections whose every document belongs to one tenant; reachable only through a TenantDb. */
export const TENANT_COLLECTIONS = [
  'parks',
  'reservations',
  'apiKeys',
  'events',
  // One document per tenant (its _id is the tenant id) holding the last export-event position.
  'eventCounters',
  'trustedOperations',
  // One document per tenant: the secret that signs its export links (src/bi/export-links.ts).
  'exportLinkSecrets',
] as const;

/**
 * Identity data keyed by user and tenant rather than owned by one tenant: a user's memberships are
 * listed across tenants, and tenants and users exist before any tenant context does.
 */
export const PLATFORM_COLLECTIONS = ['users', 'tenants', 'memberships'] as const;

export type TenantCollectionName = (typeof TENANT_COLLECTIONS)[number];
export type PlatformCollectionName = (typeof PLATFORM_COLLECTIONS)[number];

const tenantNames: ReadonlySet<string> = new Set(TENANT_COLLECTIONS);
const platformNames: ReadonlySet<string> = new Set(PLATFORM_COLLECTIONS);

export function isTenantCollectionName(name: unknown): name is TenantCollectionName {
  return typeof name === 'string' && tenantNames.has(name);
}

export function isPlatformCollectionName(name: unknown): name is PlatformCollectionName {
  return typeof name === 'string' && platformNames.has(name);
}

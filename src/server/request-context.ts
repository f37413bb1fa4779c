import { randomUUID } from 'node:crypto';
import { readCredential, type HeaderLookup } from '../auth/credentials.js';
import { VerifiedScopeCache } from '../auth/verified-scopes.js';
import { principalKey, principalRef, type Principal } from '../auth/principal.js';
import { tenantApiKeys } from '../tenancy/tenant-api-keys.js';
import type { Role } from '../authz/roles.js';
import { tenantBi } from '../bi/tenant-bi.js';
import type { ActiveTenant, RequestContext } from '../context.js';
import { newId } from '../data/ids.js';
import type { PlatformDb } from '../data/platform-db.js';
import type { TenantDb } from '../data/tenant-db.js';
import { unauthenticated } from '../errors.js';
import { tenantExportEvents } from '../events/subscription.js';
import { eventCatalog, requestLoaders } from '../modules/application.js';
import type { Services } from '../services.js';
import { tenantJobs } from '../jobs/tenant-jobs.js';
import { resolveTenantScope } from '../tenancy/active-tenant.js';
import { callerIdentity } from '../tenancy/caller-identity.js';
import { requestedTenantSlug } from '../tenancy/host-pattern.js';
import { tenantMembers } from '../tenancy/tenant-members.js';

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/**
 * The one function that turns a request into its context, whatever the transport: credentials are
 * verified, the active tenant and roles are read from the database (or taken from the verified-scope
 * cache, src/auth/verified-scopes.ts), and fresh capabilities and loaders are bound to that tenant. Throws UNAUTHENTICATED or FORBIDDEN before anything executes.
 * A token's unknown user is created (just in time) unless `enroll` is false: the re-check of an
 * admitted WebSocket connection, where a deleted user must stay deleted.
 */
export async function buildRequestContext(
  services: Services,
  header: HeaderLookup,
  options: { enroll?: boolean } = {},
): Promise<RequestContext> {
  const offered = header('x-request-id');
  const requestId = offered && REQUEST_ID.test(offered) ? offered : randomUUID();
  const credential = readCredential(header);
  if (!credential) throw unauthenticated();
  const key = VerifiedScopeCache.keyOf(credential, [header('x-tenant-id'), header('host')]);
  const { verified, hit } = await services.verifiedScopes.resolve(key, async () => {
    const authentication = await services.authenticator.authenticate(credential, options);
    const hostSlug = services.config.tenantHostPattern?.slugOf(header('host')) ?? null;
    const scope = await resolveTenantScope(
      services.identity,
      authentication,
      requestedTenantSlug(header('x-tenant-id')?.trim() || null, hostSlug),
    );
    return { authentication, scope };
  });
  const { principal } = verified.authentication;
  if (hit && principal.kind === 'apiKey') {
    services.authenticator.noteUse({ keyId: principal.keyId, tenantId: principal.tenantId }, new Date());
  }
  const { tenant, roles } = verified.scope;
  return contextFor(services, { requestId, principal, tenant, roles });
}

/** What a context holds that is not derived: who, in which tenant, with which roles. */
export interface ContextScope {
  requestId: string;
  principal: Principal;
  tenant: ActiveTenant | null;
  roles: ReadonlySet<Role>;
}

/**
 * What a context's capabilities are built over instead of the server's own data and fresh ids: the
 * data of a transaction the whole request runs in, the ids of the jobs it creates (derived from its
 * idempotency key). Used by src/server/plugins/idempotency.ts.
 */
export interface ContextData {
  db: TenantDb | null;
  platform: PlatformDb;
  newJobId: () => string;
}

/** How a caller appears in the logs: a user by email, anything else by its key (never a secret). */
const logLabel = (principal: Principal): string =>
  principal.kind === 'user' ? principal.email : principalKey(principal);

/** A value made on its first use and kept. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | null = null;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/**
 * The context of an already verified scope: the capabilities of its tenant (data, members, API keys,
 * BI, export events) built for that tenant only, and fresh loaders. buildRequestContext ends here; so
 * does an export link (src/server/bi-routes.ts), whose scope comes from its verified signature instead
 * of credentials. This is the only place where the server's services meet a request: nothing of them
 * but these bound handles reaches a resolver or a rule.
 *
 * Each capability is built on first use and kept for the request: a query uses a few of them, and a
 * subscription (whose context lives as long as it does, thousands of them in one process) only its
 * events and its limits. Getters of a plain object rather than a class with private fields: Apollo's
 * `executeOperation` clones the context with `Object.assign`, which reads getters and copies values
 * but would leave a class's private fields behind.
 */
export function contextFor(services: Services, scope: ContextScope, data: Partial<ContextData> = {}): RequestContext {
  const { database, identity, bi, exportFeed, config } = services;
  const { requestId, principal, tenant, roles } = scope;
  const db = data.db !== undefined ? data.db : tenant ? database.forTenant(tenant.id) : null;
  const platform = data.platform ?? database.platform;
  const logger = services.logger.child({ requestId, tenant: tenant?.slug ?? null, user: logLabel(principal) });
  const caller = once(() => callerIdentity(platform, identity, principal, tenant, roles));
  const loaders = once(() => requestLoaders(db));
  const members = once(() => (tenant ? tenantMembers(platform, identity, tenant.id) : null));
  const apiKeys = once(() => (db ? tenantApiKeys(db, platform, identity) : null));
  const tenantBiOf = once(() =>
    db
      ? tenantBi(bi, { db, caller: principalRef(principal), roles, maxLinkTtlSeconds: config.exportLinkMaxTtlSeconds })
      : null,
  );
  const exportEvents = once(() =>
    db && tenant
      ? tenantExportEvents({
          db,
          tenantSlug: tenant.slug,
          roles,
          feed: exportFeed,
          catalog: eventCatalog,
          retentionDays: config.eventRetentionDays,
          bufferLimit: config.exportBufferEvents,
          logger,
        })
      : null,
  );
  const limits = once(() => (tenant ? services.limits.forTenant(tenant, principal) : null));
  const jobs = once(() =>
    db
      ? tenantJobs(services.jobs, { db, caller: principalRef(principal), roles, newId: data.newJobId ?? newId })
      : null,
  );
  return {
    requestId,
    principal,
    tenant,
    roles,
    logger,
    db,
    get caller() {
      return caller();
    },
    get loaders() {
      return loaders();
    },
    get members() {
      return members();
    },
    get apiKeys() {
      return apiKeys();
    },
    get bi() {
      return tenantBiOf();
    },
    get exportEvents() {
      return exportEvents();
    },
    get limits() {
      return limits();
    },
    get jobs() {
      return jobs();
    },
  };
}

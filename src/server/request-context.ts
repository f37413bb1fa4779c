import { randomUUID } from 'node:crypto';
import { readCredential, type HeaderLookup } from '../auth/credentials.js';
import { VerifiedScopeCache } from '../auth/verified-scopes.js';
import { principalKey, principalRef, type Principal } from '../auth/principal.js';
import { tenantApiKeys } from '../tenancy/tenant-api-keys.js';
import type { Role } from '../authz/roles.js';
import { tenantBi } from '../bi/tenant-bi.js';
import type { Logger } from 'pino';
import type { ActiveTenant, RequestContext } from '../context.js';
import type { TenantBi } from '../bi/tenant-bi.js';
import type { TenantExportEvents } from '../events/subscription.js';
import type { TenantJobs } from '../jobs/tenant-jobs.js';
import type { TenantLimits } from '../limits/limits.js';
import type { Loaders } from '../modules/loaders.js';
import type { TenantApiKeys } from '../tenancy/tenant-api-keys.js';
import type { CallerIdentity } from '../tenancy/caller-identity.js';
import type { TenantMembers } from '../tenancy/tenant-members.js';
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

/** The capabilities of a context, each built on its first use. */
type CapabilityName = 'caller' | 'loaders' | 'members' | 'apiKeys' | 'bi' | 'exportEvents' | 'limits' | 'jobs';

/** What a context's capabilities are built from (its scope and data), and those built so far. */
interface Origin extends ContextData {
  readonly services: Services;
  readonly scope: ContextScope;
  readonly logger: Logger;
  readonly built: { [K in CapabilityName]?: RequestContext[K] };
}

/**
 * Each context's origin, under an opaque key the context holds: resolvers and rules receive the
 * context, never this map, so the services stay out of their reach.
 */
const origins = new WeakMap<object, Origin>();

/**
 * A request's context. Its capabilities are getters of the class, shared by every context, that
 * build each one from the context's origin on its first use and keep it there: a query uses a few
 * of them, and a subscription (whose context lives as long as it does, thousands of them in one
 * process) only its events and its limits. Apollo copies the context for each operation, keeping
 * its prototype and assigning its own properties: the copy has the same getters and the same origin
 * key, so it shares what was built and builds nothing by being made (own getters, as a plain object
 * would have, are read by that copy, which would build every capability). No private fields (`#`):
 * a copy would not have them.
 */
class ScopedContext implements RequestContext {
  readonly requestId: string;
  readonly principal: Principal;
  readonly tenant: ActiveTenant | null;
  readonly roles: ReadonlySet<Role>;
  readonly logger: Logger;
  readonly db: TenantDb | null;
  /** The key of this context's origin (an empty object), copied with the context. */
  readonly origin: object;

  constructor(origin: object, { scope, db, logger }: Origin) {
    this.requestId = scope.requestId;
    this.principal = scope.principal;
    this.tenant = scope.tenant;
    this.roles = scope.roles;
    this.logger = logger;
    this.db = db;
    this.origin = origin;
  }

  get caller(): CallerIdentity {
    return built(this, 'caller', ({ services, platform, scope }) =>
      callerIdentity(platform, services.identity, scope.principal, scope.tenant, scope.roles),
    );
  }

  get loaders(): Loaders {
    return built(this, 'loaders', ({ db }) => requestLoaders(db));
  }

  get members(): TenantMembers | null {
    return built(this, 'members', ({ services, platform, scope }) =>
      scope.tenant ? tenantMembers(platform, services.identity, scope.tenant.id) : null,
    );
  }

  get apiKeys(): TenantApiKeys | null {
    return built(this, 'apiKeys', ({ services, platform, db }) =>
      db ? tenantApiKeys(db, platform, services.identity) : null,
    );
  }

  get bi(): TenantBi | null {
    return built(this, 'bi', ({ services: { bi, config }, scope, db }) =>
      db
        ? tenantBi(bi, {
            db,
            caller: principalRef(scope.principal),
            roles: scope.roles,
            maxLinkTtlSeconds: config.exportLinkMaxTtlSeconds,
          })
        : null,
    );
  }

  get exportEvents(): TenantExportEvents | null {
    return built(this, 'exportEvents', ({ services: { exportFeed, config }, scope, db, logger }) =>
      db && scope.tenant
        ? tenantExportEvents({
            db,
            tenantSlug: scope.tenant.slug,
            roles: scope.roles,
            feed: exportFeed,
            catalog: eventCatalog,
            retentionDays: config.eventRetentionDays,
            bufferLimit: config.exportBufferEvents,
            logger,
          })
        : null,
    );
  }

  get limits(): TenantLimits | null {
    return built(this, 'limits', ({ services, scope }) =>
      scope.tenant ? services.limits.forTenant(scope.tenant, scope.principal) : null,
    );
  }

  get jobs(): TenantJobs | null {
    return built(this, 'jobs', ({ services, scope, db, newJobId }) =>
      db
        ? tenantJobs(services.jobs, { db, caller: principalRef(scope.principal), roles: scope.roles, newId: newJobId })
        : null,
    );
  }
}

/** The context's capability `name`, built by `make` the first time any copy of the context asks. */
function built<K extends CapabilityName>(
  ctx: ScopedContext,
  name: K,
  make: (origin: Origin) => RequestContext[K],
): RequestContext[K] {
  const origin = origins.get(ctx.origin);
  if (origin === undefined) throw new Error('a request context was copied without its origin');
  if (!(name in origin.built)) origin.built[name] = make(origin);
  return origin.built[name] as RequestContext[K];
}

/**
 * The context of an already verified scope: the capabilities of its tenant (data, members, API keys,
 * BI, export events) built for that tenant only, and fresh loaders. buildRequestContext ends here; so
 * does an export link (src/server/bi-routes.ts), whose scope comes from its verified signature instead
 * of credentials. This is the only place where the server's services meet a request: nothing of them
 * but these bound handles reaches a resolver or a rule.
 */
export function contextFor(services: Services, scope: ContextScope, data: Partial<ContextData> = {}): RequestContext {
  const { database } = services;
  const key = {};
  const origin: Origin = {
    services,
    scope,
    db: data.db !== undefined ? data.db : scope.tenant ? database.forTenant(scope.tenant.id) : null,
    platform: data.platform ?? database.platform,
    newJobId: data.newJobId ?? newId,
    logger: services.logger.child({
      requestId: scope.requestId,
      tenant: scope.tenant?.slug ?? null,
      user: logLabel(scope.principal),
    }),
    built: {},
  };
  origins.set(key, origin);
  return new ScopedContext(key, origin);
}

import { HeaderMap, type ApolloServerPlugin, type GraphQLRequest, type GraphQLRequestListener } from '@apollo/server';
import type { RequestContext } from '../../context.js';
import { AppError, ErrorCode, httpStatusOf, refusal as clientRefusal, withHttpStatus } from '../../errors.js';
import { SHA256_HEX, sha256Hex } from '../../bi/manifest.js';
import { holds } from '../../authz/abilities.js';
import { safelistOf } from '../../bi/safelist.js';
import type { TrustedOperation, TrustedOperationRegistry } from '../../bi/trusted-operations.js';
import { isRecord } from '../../bi/is-record.js';
import type { DocumentCache } from './apq-cache.js';
import { type EventVersioning, revalidationListener } from './revalidation.js';

/*
 * Why an Apollo plugin, and why at `requestDidStart`.
 *
 * Apollo resolves `extensions.persistedQuery` (APQ) right after `requestDidStart` and before parsing:
 * a hash alone is looked up in `persistedQueries.cache`, a hash with its document registers it. Two
 * other places could serve trusted operations, and both fall short:
 * - a KeyValueCache whose `get(hash)` answers trusted documents first: it has no request context, so it
 *   cannot tell the tenant (whose own operations must answer in that tenant only), nor the key (whose
 *   safelist must refuse everything else), and what it answers Apollo may still register for everyone;
 * - an Express middleware before Apollo that rewrites the body: it would verify the credentials a
 *   second time (or hand a context around Apollo), and miss `executeOperation`, which the CSV/NDJSON
 *   routes and export links use to run trusted operations through this same pipeline.
 * `requestDidStart` runs once the context (verified principal, active tenant, roles, TenantDb) exists
 * and before Apollo touches the document, so this plugin decides with full knowledge, for GET, POST and
 * executeOperation alike:
 * - a trusted hash (repository manifest, then the tenant's own): its body becomes the request's
 *   document and the APQ extension is dropped, so Apollo neither looks it up nor registers it in the
 *   shared APQ cache (a tenant's operation must never become runnable by hash in another tenant);
 * - any other hash from an unrestricted caller: an automatic persisted query (register-on-miss, as
 *   front-ends expect) in the bounded cache of apq-cache.ts, keyed by the active tenant, so that a
 *   document registered in one tenant is unknown by its hash in every other; Apollo's own APQ, whose
 *   cache has no request context, is off. A plain document is left to Apollo;
 * - a refusal: the client's document is replaced, unparsed and unvalidated, by a constant one-field
 *   query (parsed once, then served from Apollo's document cache) and the refusal is raised at
 *   `didResolveOperation`, the first hook whose errors Apollo answers as a GraphQL error with our code
 *   and status (an error thrown from `requestDidStart` becomes an opaque 500). The other plugins see
 *   the refusal like any other error: it is logged and counted per tenant.
 */

/** Stands in for a refused client document: never executed, it only carries the refusal through Apollo. */
const REFUSED_DOCUMENT = 'query PersistedQueryRefused { __typename }';

export interface PersistedQueryPluginOptions {
  registry: TrustedOperationRegistry;
  /** Automatic persisted queries (register-on-miss), kept apart per tenant (apq-cache.ts). */
  automatic: DocumentCache;
  /** `max-age` of GET responses of trusted operations (BI_CACHE_MAX_AGE_SECONDS). */
  cacheMaxAgeSeconds: number;
  /** Which trusted operations a GET revalidates without running (revalidation.ts). */
  versioning: EventVersioning;
}

type Decision =
  | { kind: 'apollo' }
  | { kind: 'automatic'; hash: string }
  | { kind: 'trusted'; operation: TrustedOperation }
  | { kind: 'refuse'; error: AppError };

const refusal = (code: ErrorCode, message: string): Decision => ({
  kind: 'refuse',
  error: withHttpStatus(new AppError(code, message)),
});

/** As Apollo answers an unknown hash: 200, so that APQ clients send the document next, and not cached. */
const notFoundError = () =>
  new AppError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, 'PersistedQueryNotFound', {
    http: {
      status: httpStatusOf(ErrorCode.PERSISTED_QUERY_NOT_FOUND),
      headers: new HeaderMap([['cache-control', 'private, no-cache, must-revalidate']]),
    },
  });
const notFound = (): Decision => ({ kind: 'refuse', error: notFoundError() });

/** The client's document replaced by one that only carries `error` through Apollo (see above). */
function refuse(request: GraphQLRequest, error: AppError): GraphQLRequestListener<RequestContext> {
  request.query = REFUSED_DOCUMENT;
  request.operationName = undefined;
  request.variables = undefined;
  request.extensions = withoutPersistedQuery(request);
  return {
    async didResolveOperation() {
      throw error;
    },
  };
}

async function decide(
  request: GraphQLRequest,
  ctx: RequestContext,
  registry: TrustedOperationRegistry,
): Promise<Decision> {
  const safelist = safelistOf(ctx.principal);
  const persisted = request.extensions?.persistedQuery;
  if (persisted === undefined || persisted === null) {
    return safelist.trustedOnly
      ? refusal(ErrorCode.PERSISTED_QUERY_REQUIRED, 'This credential runs trusted persisted operations only')
      : { kind: 'apollo' };
  }
  if (!isRecord(persisted) || persisted.version !== 1) {
    return refusal(ErrorCode.BAD_USER_INPUT, 'extensions.persistedQuery.version must be 1');
  }
  const hash = persisted.sha256Hash;
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) {
    return refusal(ErrorCode.BAD_USER_INPUT, 'extensions.persistedQuery.sha256Hash must be a lower-case hex SHA-256');
  }
  if (typeof request.query === 'string' && sha256Hex(request.query) !== hash) {
    return refusal(ErrorCode.BAD_USER_INPUT, 'provided sha does not match query');
  }
  const operation = await registry.byHash(ctx.db, hash);
  if (!operation) {
    if (!safelist.trustedOnly) return { kind: 'automatic', hash };
    return typeof request.query === 'string'
      ? refusal(ErrorCode.PERSISTED_QUERY_REQUIRED, 'This credential runs trusted persisted operations only')
      : notFound();
  }
  if (safelist.operations && !safelist.operations.has(operation.name)) {
    return refusal(ErrorCode.FORBIDDEN, `This API key may not run ${operation.name}`);
  }
  if (!holds(ctx.roles, 'analyze')) {
    return refusal(ErrorCode.FORBIDDEN, 'Trusted operations need the ANALYST, EDITOR or ADMIN role');
  }
  if (request.operationName != null && request.operationName !== operation.name) {
    return refusal(ErrorCode.BAD_USER_INPUT, `operationName must be ${operation.name}, the persisted operation's`);
  }
  return { kind: 'trusted', operation };
}

function withoutPersistedQuery(request: GraphQLRequest): GraphQLRequest['extensions'] {
  const { persistedQuery: _dropped, ...rest } = request.extensions ?? {};
  return rest;
}

/** Trusted persisted operations and the per-credential safelist, ahead of Apollo's own APQ. */
export function persistedQueryPlugin({
  registry,
  automatic,
  cacheMaxAgeSeconds,
  versioning,
}: PersistedQueryPluginOptions): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      let decision: Decision;
      try {
        decision = await decide(request, contextValue, registry);
      } catch (error) {
        contextValue.logger.error({ err: error }, 'persisted query lookup failed');
        decision = { kind: 'refuse', error: clientRefusal(error) };
      }
      switch (decision.kind) {
        case 'apollo':
          return {};
        case 'automatic': {
          // The tenant's own APQ: a document registered in one tenant is unknown by its hash in every
          // other (its hash would otherwise tell another tenant which documents exist).
          const key = `${contextValue.tenant?.id ?? '-'}:${decision.hash}`;
          const registering = typeof request.query === 'string';
          const query = registering ? request.query : await automatic.get(key);
          request.extensions = withoutPersistedQuery(request);
          if (query === undefined) return refuse(request, notFoundError());
          request.query = query;
          // Registered once valid: a document that does not parse or validate is never kept.
          return registering
            ? {
                async didResolveOperation() {
                  await automatic.set(key, query);
                },
              }
            : {};
        }
        case 'trusted':
          request.query = decision.operation.body;
          request.operationName = decision.operation.name;
          request.extensions = withoutPersistedQuery(request);
          return revalidationListener(decision.operation, cacheMaxAgeSeconds, versioning);
        case 'refuse':
          return refuse(request, decision.error);
      }
    },
  };
}

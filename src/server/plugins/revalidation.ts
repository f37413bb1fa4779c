import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import stableStringify from 'fast-json-stable-stringify';
import { parse, TypeInfo, visit, visitWithTypeInfo, type GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import { principalKey } from '../../auth/principal.js';
import { sha256Hex } from '../../bi/manifest.js';
import type { TrustedOperation } from '../../bi/trusted-operations.js';
import type { RequestContext } from '../../context.js';
import { exactLatestPosition } from '../../events/outbox.js';

/** Shared caches must keep one caller's persisted response apart from another's (ETag binds them too). */
export const CACHE_VARY = 'Authorization, X-API-Key, X-Tenant-ID';

/** How many trusted operations' verdicts (versioned by events or not) are remembered, by hash. */
const VERDICTS = 1_000;

/**
 * Which trusted operations can be revalidated without running them: those whose every field is one
 * of `versionedFields` (src/modules/application.ts: fields that change only with an export event of
 * the tenant). Decided once per operation hash, from its document and the schema.
 */
export class EventVersioning {
  readonly #verdicts = new LRUCache<string, boolean>({ max: VERDICTS });

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly versionedFields: ReadonlySet<string>,
  ) {}

  covers(operation: TrustedOperation): boolean {
    const known = this.#verdicts.get(operation.hash);
    if (known !== undefined) return known;
    const verdict = this.#selectsOnlyVersionedFields(operation.body);
    this.#verdicts.set(operation.hash, verdict);
    return verdict;
  }

  #selectsOnlyVersionedFields(body: string): boolean {
    const typeInfo = new TypeInfo(this.schema);
    const versioned = this.versionedFields;
    let covered = true;
    visit(
      parse(body),
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          if (node.name.value === '__typename') return;
          const parent = typeInfo.getParentType();
          if (!parent || !versioned.has(`${parent.name}.${node.name.value}`)) covered = false;
        },
      }),
    );
    return covered;
  }
}

/** True when an `If-None-Match` header names this ETag (weak comparison, as RFC 9110 asks for GET). */
function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

const quoted = (parts: readonly unknown[]) => `"${sha256Hex(stableStringify(parts))}"`;

/**
 * The ETag of a trusted operation's answer that can be known before running it: the caller, its
 * tenant and roles, the operation, its variables (keys in any order) and the tenant's data version
 * (its latest committed event position). Any committed change of what the operation reads, a change
 * of the caller's roles, or another caller, gives another tag.
 */
function versionTag(ctx: RequestContext, operation: TrustedOperation, variables: unknown, version: number): string {
  const roles = [...ctx.roles].sort();
  return quoted([
    'v',
    principalKey(ctx.principal),
    ctx.tenant?.id ?? '',
    roles,
    operation.hash,
    variables ?? {},
    version,
  ]);
}

/** The ETag of an answer known only once it ran: the caller, the tenant, the operation and the body. */
const bodyTag = (ctx: RequestContext, operation: TrustedOperation, body: unknown) =>
  quoted(['b', principalKey(ctx.principal), ctx.tenant?.id ?? '', operation.hash, body]);

/**
 * GET answers of a trusted operation: cacheable by the caller's own cache only (`private`), for
 * `maxAge` seconds, with an ETag so that no cache can validate one caller's copy with another's.
 *
 * When the operation reads only data versioned by export events (`versioning`), the ETag is made
 * before execution from the tenant's latest event position, and an `If-None-Match` naming it is
 * answered 304 without executing anything (one read of the tenant's event counter and outbox). Every
 * change of such data writes its event in its own transaction, so once it has committed the position
 * has moved, on whichever instance it was made: the tag differs and the operation runs. When the
 * position cannot be read exactly (the sequencer published meanwhile), or the operation reads other
 * data, the operation runs and its ETag is made from its answer, as a 304 then saves transfer only.
 */
export function revalidationListener(
  operation: TrustedOperation,
  maxAge: number,
  versioning: EventVersioning,
): GraphQLRequestListener<RequestContext> {
  let versioned: string | null = null;
  return {
    async responseForOperation({ request, contextValue }) {
      if (request.http?.method !== 'GET' || !contextValue.db || !versioning.covers(operation)) return null;
      let version: number | null;
      try {
        version = await exactLatestPosition(contextValue.db);
      } catch (error) {
        contextValue.logger.warn({ err: error }, 'data version unreadable: the operation runs');
        return null;
      }
      if (version === null) return null;
      versioned = versionTag(contextValue, operation, request.variables, version);
      if (!ifNoneMatchHits(request.http.headers.get('if-none-match'), versioned)) return null;
      return { http: { status: 304, headers: new HeaderMap() }, body: { kind: 'single', singleResult: {} } };
    },
    async willSendResponse({ request, response, contextValue }) {
      if (request.http?.method !== 'GET' || response.body.kind !== 'single' || response.body.singleResult.errors)
        return;
      const etag = versioned ?? bodyTag(contextValue, operation, response.body.singleResult);
      const headers = response.http.headers;
      headers.set('cache-control', `private, max-age=${maxAge}`);
      headers.set('etag', etag);
      headers.set('vary', CACHE_VARY);
      if (ifNoneMatchHits(request.http.headers.get('if-none-match'), etag)) response.http.status = 304;
    },
  };
}

/**
 * `Cache-Control: no-store` on every GraphQL answer that no plugin made cacheable (what Apollo's
 * cache-control plugin answers for a schema without hints, without its hook on every field).
 */
export function noStoreByDefault(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (!response.http.headers.has('cache-control')) response.http.headers.set('cache-control', 'no-store');
        },
      };
    },
  };
}

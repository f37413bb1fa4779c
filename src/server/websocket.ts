import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  execute,
  GraphQLError,
  getOperationAST,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { LRUCache } from 'lru-cache';
import { WebSocketServer, type WebSocket } from 'ws';
import { safelistOf } from '../bi/safelist.js';
import type { RequestContext } from '../context.js';
import { AppError, closeCodeOf, ErrorCode, isAppError, toClientError } from '../errors.js';
import { stripSuggestions } from '../limits/hide-suggestions.js';
import { costExtension, withCost } from '../limits/cost-extension.js';
import type { AdmittedOperation } from '../limits/limits.js';
import { parseOperation } from '../limits/query-limits.js';
import type { Services } from '../services.js';
import { CloseReason, ConnectionRegistry } from './connection-registry.js';
import { gatewaySecretMatches } from './gateway-secret.js';
import type { HeaderLookup } from '../auth/credentials.js';
import { buildRequestContext } from './request-context.js';
import { throttledRequestContext } from './throttled-context.js';
import { clientAddress } from '../limits/client-address.js';

export interface WebSocketOptions {
  schema: GraphQLSchema;
  services: Services;
  validationRules: readonly ValidationRule[];
  /** The HTTP transport's error formatter (Apollo's `formatError`), so that errors leave both alike. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /**
   * How often every socket is pinged (ws ping frames, answered by the peer's WebSocket stack), and
   * how long a pong may take before the peer is taken for dead and its socket destroyed. A dead peer
   * is thus dropped within two intervals, and its subscriptions ended. Default `KEEP_ALIVE_MS`.
   */
  keepAliveMs?: number;
}

/** graphql-ws's own default for `useServer`, made explicit. */
export const KEEP_ALIVE_MS = 12_000;

/**
 * Operations parsed and validated, by their text: thousands of integrators subscribe with the same few
 * documents, which then share one syntax tree (about 4 KiB each, kept for the subscription's life)
 * and are checked once. Refused documents are not kept. Bounded in entries and in the text they hold,
 * so that many large distinct documents cannot pin memory.
 */
const DOCUMENTS = 500;
const DOCUMENT_TEXT_BYTES = 4 * 1024 * 1024;

/**
 * How long a peer has to answer a close frame before its socket is destroyed. ws would wait 30 s;
 * a peer that stopped reading must not keep a revoked subscription's resources that long (nothing
 * is sent to it meanwhile: graphql-ws sends only on an open socket).
 */
const CLOSE_GRACE_MS = 1000;

/**
 * `connection_init` payload keys are header-shaped and matched in any case, like HTTP headers; keys
 * that differ only in case are the same header sent twice, and give their values joined as HTTP does.
 */
export const payloadLookup =
  (payload: Readonly<Record<string, unknown>> | undefined): HeaderLookup =>
  (name) => {
    const wanted = name.toLowerCase();
    const values = Object.entries(payload ?? {})
      .filter(([key, value]) => key.toLowerCase() === wanted && typeof value === 'string')
      .map(([, value]) => value as string);
    return values.length === 0 ? undefined : values.join(', ');
  };

/**
 * What a graphql-ws connection presents: its `connection_init` payload, and the `Host` of its upgrade
 * request (the address the client reached, as for HTTP; a payload key cannot stand in for it).
 */
const connectionLookup = (ctx: {
  connectionParams?: Readonly<Record<string, unknown>>;
  extra: { request: { headers: { host?: string } } };
}): HeaderLookup => {
  const payload = payloadLookup(ctx.connectionParams);
  return (name) => (name.toLowerCase() === 'host' ? ctx.extra.request.headers.host : payload(name));
};

/** The same lookup, with `X-Tenant-ID` fixed to this slug (null: unchanged). */
const inTenant =
  (lookup: HeaderLookup, slug: string | null): HeaderLookup =>
  (name) =>
    slug !== null && name.toLowerCase() === 'x-tenant-id' ? slug : lookup(name);

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  socket.close(code, reason);
  setTimeout(() => {
    if (socket.readyState !== socket.CLOSED) socket.terminate();
  }, CLOSE_GRACE_MS).unref();
}

/**
 * graphql-transport-ws on `/graphql`, on the HTTP server's port. Credentials come in `connection_init`
 * and are verified at connect (refused: close 4403) and again for every operation through the same
 * context builder as HTTP, so that each operation gets its own context (shield's cache lives on it).
 * `useServer` runs none of Apollo's validation rules, so the query limits are applied here too.
 *
 * A long-running operation keeps the context it started with, so the connection registry ends the
 * connection (4403) when its credentials expire, are revoked, or lose a role a live operation has,
 * as reported by the identity change feed of every instance (connection-registry.ts).
 */
export function attachWebSocketServer(httpServer: Server, options: WebSocketOptions) {
  const { schema, services, validationRules, formatError, keepAliveMs = KEEP_ALIVE_MS } = options;
  const secret = services.config.gatewaySecret;
  // Upgrades are handed over here rather than given the HTTP server (`server` option): ws would re-emit
  // that server's own errors (a port in use) on the WebSocket server, where graphql-ws prints them
  // with their stack. They are the HTTP server's to report (src/server/app.ts).
  const wss = new WebSocketServer({ noServer: true, path: '/graphql' });
  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  httpServer.on('upgrade', upgrade);
  // Apollo enforces `introspection: false` on HTTP only; the WebSocket path needs the rule itself.
  const introspection = services.config.introspection ? [] : [NoSchemaIntrospectionCustomRule];
  const rules = [...specifiedRules, ...validationRules, ...introspection];
  const documents = new LRUCache<string, DocumentNode>({
    max: DOCUMENTS,
    maxSize: DOCUMENT_TEXT_BYTES,
    sizeCalculation: (_document, text) => Math.max(1, text.length),
  });
  const registry = new ConnectionRegistry(services.logger);
  /**
   * Queries and mutations admitted and given their turn, by their context: `execute` finishes each
   * with its result (the refund, the place of execution freed) and answers with `extensions.cost`.
   */
  const admitted = new WeakMap<RequestContext, AdmittedOperation>();
  const stopWatching = services.identity.onChange((notice) => registry.onIdentityChange(notice));
  const server = useServer<Record<string, unknown>>(
    {
      schema,
      onConnect: async (ctx) => {
        const { extra } = ctx;
        if (secret && !gatewaySecretMatches(secret, extra.request.headers['router-authorization'])) return false;
        const headers = connectionLookup(ctx);
        const since = registry.version;
        let context: RequestContext;
        try {
          const address = clientAddress(extra.request, services.config.trustProxy);
          context = await throttledRequestContext(services, headers, address);
        } catch (error) {
          // Refused credentials: graphql-ws closes with 4403. Anything else (the database did not
          // answer: 1013, try again later) is no verdict on the caller.
          if (!isAppError(error)) closeSocket(extra.socket, closeCodeOf(error), CloseReason.unverifiable);
          return false;
        }
        if (extra.socket.readyState !== extra.socket.OPEN) return false;
        // A credential that runs trusted persisted operations only (src/bi/safelist.ts) has nothing to
        // do here: graphql-ws carries whole documents, never a persisted query's hash.
        if (safelistOf(context.principal).trustedOnly) return false;
        const watched = {
          rebuild: (slug: string | null) => buildRequestContext(services, inTenant(headers, slug), { enroll: false }),
          close: (code: number, reason: string) => closeSocket(extra.socket, code, reason),
        };
        registry.admit(ctx, watched, context, since);
        return true;
      },
      onClose: (ctx) => {
        registry.forget(ctx);
        services.limits.releaseAll(ctx);
      },
      onComplete: (ctx, id) => {
        registry.release(ctx, id);
        services.limits.release(ctx, id);
      },
      onSubscribe: async (ctx, id, payload) => {
        let document = documents.get(payload.query);
        if (document === undefined) {
          try {
            document = parseOperation(payload.query);
          } catch (error) {
            if (error instanceof GraphQLError) return [new AppError(ErrorCode.BAD_USER_INPUT, error.message)];
            throw error;
          }
          const errors = validate(schema, document, rules);
          if (errors.length > 0) {
            return errors.map((error) => new AppError(ErrorCode.BAD_USER_INPUT, stripSuggestions(error.message)));
          }
          documents.set(payload.query, document);
        }
        // Built here rather than in `context`, so that credentials refused now end the connection
        // as at connect (graphql-ws would close with 4500 on a throwing `context`).
        const since = registry.version;
        let contextValue: RequestContext;
        try {
          contextValue = await buildRequestContext(services, connectionLookup(ctx));
        } catch (error) {
          const clientError = toClientError(error);
          const reason = !isAppError(error)
            ? CloseReason.unverifiable
            : error.code === ErrorCode.UNAUTHENTICATED
              ? CloseReason.revoked
              : CloseReason.rightsChanged;
          registry.forget(ctx);
          closeSocket(ctx.extra.socket, closeCodeOf(clientError), reason);
          return [clientError];
        }
        const variableValues = payload.variables ?? undefined;
        const operationName = payload.operationName ?? undefined;
        let operation: AdmittedOperation | null;
        try {
          operation = services.limits.admitOnConnection(ctx, id, contextValue, document, variableValues, operationName);
        } catch (error) {
          if (!isAppError(error)) throw error;
          const { http: _status, ...extensions } = error.extensions;
          return [new AppError(error.code, error.message, extensions)];
        }
        if (operation) {
          // A query or a mutation waits for its turn to execute, fairly between tenants, as over HTTP.
          await services.limits.turn(operation);
          // Completed by the client, or its connection closed, while it waited: it does not execute.
          if (!(id in ctx.subscriptions)) {
            services.limits.finish(operation, undefined);
            return [new AppError(ErrorCode.BAD_USER_INPUT, 'The operation was completed before it executed')];
          }
          admitted.set(contextValue, operation);
        }
        registry.grant(ctx, id, contextValue, since);
        return {
          schema,
          document,
          variableValues,
          operationName,
          contextValue,
        };
      },
      // A query or a mutation admitted above: finished once, whatever happens to its execution, and
      // answered with its cost. Subscriptions (charged when they start) execute as they are.
      execute: async (args) => {
        const caller = args.contextValue as RequestContext;
        const operation = admitted.get(caller);
        if (!operation) return execute(args);
        let result: ExecutionResult | undefined;
        let actual = 0;
        try {
          result = await execute(args);
        } finally {
          actual = services.limits.finish(operation, result?.data);
        }
        const bucket = services.limits.status(caller);
        if (!bucket) return result;
        return withCost(result, costExtension(operation.requested, actual, bucket.status));
      },
      // graphql-ws sends execution errors as graphql-js made them: without a contract code, with
      // "Did you mean" suggestions, and with the message of any unexpected error. The HTTP
      // transport's formatter puts them in shape (errors of an operation that could not start, such
      // as variables that do not coerce, are the caller's there too).
      onNext: (_ctx, _id, _payload, args, result) => {
        const { tenant } = args.contextValue as RequestContext;
        if (tenant && result.data && getOperationAST(args.document, args.operationName)?.operation === 'subscription') {
          services.limits.usage.record(tenant.id, { eventsDelivered: 1 });
        }
        if (!result.errors) return undefined;
        return { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) };
      },
    },
    wss,
    keepAliveMs,
  );
  return {
    /** How many connections are watched for expiry and revocation (for tests and metrics). */
    get connections() {
      return registry.size;
    },
    async close() {
      httpServer.off('upgrade', upgrade);
      stopWatching();
      registry.dispose();
      // graphql-ws closes every connection with 1001 (going away) and waits for the peers' answers;
      // one that does not answer must not hold the shutdown past the close grace.
      const stragglers = setTimeout(() => {
        for (const socket of wss.clients) socket.terminate();
      }, CLOSE_GRACE_MS);
      await server.dispose();
      clearTimeout(stragglers);
    },
  };
}

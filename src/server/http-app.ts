import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { JSONWebKeySet } from 'jose';
import { biRoutes } from './bi-routes.js';
import type { RequestContext } from '../context.js';
import { ErrorCode, httpStatusOf, refusal, toClientError } from '../errors.js';
import type { Services } from '../services.js';
import { serveSdlToGateway } from './gateway-introspection.js';
import { requireGatewaySecret } from './gateway-secret.js';
import type { Metrics } from './metrics.js';
import { httpHeaderLookup } from './http-headers.js';
import { callerKeyOf, refuseEmptyBuckets } from './early-refusal.js';
import { throttledRequestContext } from './throttled-context.js';
import { clientAddress } from '../limits/client-address.js';
import { metricsAccess } from './metrics-access.js';
import { stagingRoutes } from './staging-routes.js';

export interface HttpAppOptions {
  services: Services;
  apollo: ApolloServer<RequestContext>;
  metrics: Metrics;
  /** The dev issuer's public keys; absent when a real identity provider is configured. */
  devJwks: JSONWebKeySet | null;
  /** Development only: the GraphQL IDE and the dev token endpoint (src/server/ide/). */
  devRoutes: Router | null;
  /** `POST /admin/graphql`, the operator API (src/admin/), operators' tokens only; `GET /admin/exports/<token>`. */
  adminRoutes: Router;
  /** The executable schema, for the BI exports (variable types and row shapes of trusted operations). */
  schema: GraphQLSchema;
  /** What `_service { sdl }` answers, served to a gateway that carries GATEWAY_SECRET. */
  sdl: string;
}

const CLIENT_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Malformed request body',
  413: 'Request body too large',
  415: 'Unsupported request body encoding',
};

/**
 * Errors raised before Apollo sees a request (the body parser's: malformed JSON, too large, bad
 * encoding) answered as a GraphQL error response, instead of Express's default HTML page, which
 * shows the stack trace outside production.
 */
const answerAsGraphQLError =
  (services: Services): ErrorRequestHandler =>
  (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = CLIENT_ERROR_MESSAGES[status] ?? 'Bad request';
      res.status(status).json({ errors: [{ message, extensions: { code: ErrorCode.BAD_USER_INPUT } }] });
      return;
    }
    const clientError = toClientError(error);
    if (clientError.code === ErrorCode.INTERNAL_SERVER_ERROR) services.logger.error({ err: error }, 'unexpected error');
    res.status(httpStatusOf(clientError.code)).json({
      errors: [{ message: clientError.message, extensions: { code: clientError.code } }],
    });
  };

/** The HTTP routes of the contract (section 2): GraphQL, health, readiness, metrics and the dev JWKS. */
export function createHttpApp(options: HttpAppOptions): Express {
  const { services, apollo, metrics, devJwks, devRoutes, adminRoutes, schema, sdl } = options;
  const app = express();
  app.disable('x-powered-by');
  // Express would put a weak ETag on every answer and turn a matching If-None-Match into 304, whoever
  // asks. Validators are given on purpose only: GET answers of trusted operations, bound to the
  // caller (src/server/plugins/persisted-queries.ts).
  app.set('etag', false);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await services.database.ping();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'database unavailable' });
  });
  app.get('/metrics', metricsAccess(services.config.metricsToken), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (devJwks) {
    app.get('/.well-known/jwks.json', (_req, res) => {
      res.json(devJwks);
    });
  }
  if (devRoutes) app.use(devRoutes);
  const secret = services.config.gatewaySecret;
  app.use(
    '/graphql',
    ...(secret ? [requireGatewaySecret(secret)] : []),
    refuseEmptyBuckets(services.limits),
    express.json({ limit: '1mb' }),
    // With the router secret and no caller credentials, `{ _service { sdl } }` and nothing else.
    ...(secret ? [serveSdlToGateway(sdl)] : []),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        try {
          const address = clientAddress(req, services.config.trustProxy);
          const context = await throttledRequestContext(services, httpHeaderLookup(req), address, callerKeyOf(res));
          const tenantId = context.tenant?.id;
          if (tenantId) {
            res.once('finish', () => {
              const bytesSent = Number(res.getHeader('content-length') ?? 0);
              services.limits.usage.record(tenantId, { bytesSent });
            });
          }
          return context;
        } catch (error) {
          // A throttled address's RATE_LIMITED keeps its own status (429) and Retry-After.
          throw refusal(error);
        }
      },
    }),
  );
  // CSV/NDJSON exports of trusted operations and export links (bi-routes.ts); data, so gated like /graphql.
  app.use('/bi', ...(secret ? [requireGatewaySecret(secret)] : []), biRoutes({ services, apollo, schema }));
  // Valet URLs of the staging store (staging-routes.ts): the URL is the credential; data, so gated like /bi.
  app.use('/staging', ...(secret ? [requireGatewaySecret(secret)] : []), stagingRoutes(services));
  app.use('/admin', adminRoutes);
  app.use(answerAsGraphQLError(services));
  return app;
}

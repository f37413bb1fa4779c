import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { pino, type Logger } from 'pino';
import { createAdminApi } from './admin-routes.js';
import { Authenticator } from '../auth/authenticator.js';
import { VerifiedScopeCache } from '../auth/verified-scopes.js';
import { loadOrCreateDevIssuer, type DevIssuer } from '../auth/dev-issuer.js';
import { recordKeyUse } from '../tenancy/tenant-api-keys.js';
import { createJwtVerifier, type JwtVerifier } from '../auth/jwt-verifier.js';
import { createRemoteJwks } from '../auth/remote-jwks.js';
import { databaseHosts, type Config } from '../config.js';
import type { RequestContext } from '../context.js';
import { createBiServices } from '../bi/index.js';
import { connectDatabase } from '../data/database.js';
import { isDatabaseUnavailable } from '../data/errors.js';
import { startEmbeddedMongo } from '@tenantgraph/embedded-mongo';
import { ExportFeed } from '../events/feed.js';
import { Limits } from '../limits/limits.js';
import { queryLimitRules, queryParseOptions } from '../limits/query-limits.js';
import { collections, demoDataSteps, eventVersionedFields, mutationRetry } from '../modules/application.js';
import { seedDemoData } from '../seed/seed.js';
import type { Services } from '../services.js';
import { createStaging } from '../staging/index.js';
import { JobService } from '../jobs/job-service.js';
import { importHandler } from '../modules/jobs/import-job.js';
import { exportHandler } from './export-job.js';
import { IdentityDirectory } from '../tenancy/identity-directory.js';
import { createFormatError, errorStatusPlugin } from './format-error.js';
import { createDrain } from './drain.js';
import { createHttpApp } from './http-app.js';
import { contextFor } from './request-context.js';
import { StartupError } from './startup-error.js';
import { createMetrics, trackExportFeed, type Metrics } from './metrics.js';
import { createDocumentCache } from './plugins/apq-cache.js';
import { httpSubscriptionsPlugin } from './plugins/http-subscriptions.js';
import { idempotencyPlugin } from './plugins/idempotency.js';
import { limitsPlugin } from './plugins/limits.js';
import { observabilityPlugin } from './plugins/observability.js';
import { persistedQueryPlugin } from './plugins/persisted-queries.js';
import { EventVersioning, noStoreByDefault } from './plugins/revalidation.js';
import { buildSubgraph } from './schema.js';
import { tenantSpanPlugin } from './plugins/tenant-span.js';
import { attachWebSocketServer } from './websocket.js';

export interface RunningApp {
  /** e.g. `http://127.0.0.1:4000`; the GraphQL endpoint is `${url}/graphql`. */
  url: string;
  port: number;
  /** The listening HTTP server (GraphQL, WebSocket and the operator routes). */
  httpServer: Server;
  services: Services;
  metrics: Metrics;
  /**
   * Drains (src/server/drain.ts), stops accepting, closes WebSocket connections with 1001, lets
   * in-flight requests finish within SHUTDOWN_GRACE_MS, then closes the database (and the embedded server).
   */
  stop(): Promise<void>;
}

interface Identity {
  verifier: JwtVerifier;
  devIssuer: DevIssuer | null;
}

async function createIdentity(config: Config, logger: Logger): Promise<Identity> {
  if (config.auth.mode === 'oidc') {
    const { jwksUrl, issuer, audience } = config.auth;
    const keys = createRemoteJwks(jwksUrl, logger);
    return { verifier: createJwtVerifier({ keys, issuer, audience, logger }), devIssuer: null };
  }
  const dev = await loadOrCreateDevIssuer(config.auth.dataDir);
  return {
    verifier: createJwtVerifier({ keys: dev.keys, issuer: dev.issuer, audience: dev.audience, logger }),
    devIssuer: dev,
  };
}

async function openDatabase(config: Config, metrics: Metrics, logger: Logger) {
  const embedded = config.mongodbUri ? null : await startEmbeddedMongo({ dir: config.embeddedDbDir });
  if (embedded?.dir) {
    const { uri, dir, recovery } = embedded;
    logger.info({ uri, dir, recovery }, `embedded MongoDB-compatible server started, data kept in ${dir}`);
  } else if (embedded) {
    logger.info({ uri: embedded.uri }, 'embedded MongoDB-compatible server started in memory: nothing is kept');
  }
  const uri = config.mongodbUri ?? embedded!.uri;
  const host = databaseHosts(uri);
  logger.info({ host }, `connecting to ${host}`);
  try {
    const database = await connectDatabase({
      uri,
      dbName: config.mongodbDb,
      collections,
      timeoutMs: config.mongodbTimeoutMs,
      onCommand: (command) => metrics.databaseCommands.inc({ command }),
      eventRetentionSeconds: config.eventRetentionDays * 24 * 60 * 60,
      clusters: config.clusterUris,
    });
    return { database, stopEmbedded: embedded?.stop ?? null };
  } catch (error) {
    await embedded?.stop();
    throw new StartupError(
      isDatabaseUnavailable(error)
        ? `cannot reach the database at ${host} within ${config.mongodbTimeoutMs} ms (MONGODB_TIMEOUT_MS)`
        : `cannot connect to the database at ${host}: ${oneLine(error)}`,
      { cause: error },
    );
  }
}

const oneLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

const listen = (server: Server, port: number, host: string) =>
  new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new StartupError(
          error.code === 'EADDRINUSE'
            ? `cannot listen on ${host}:${port}: the port is already in use (PORT, HOST)`
            : `cannot listen on ${host}:${port}: ${oneLine(error)}`,
          { cause: error },
        ),
      ),
    );
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });

/** The composition root: config → database → identity → GraphQL → HTTP, listening. */
export async function startApp(config: Config, logger: Logger = pino({ level: config.logLevel })): Promise<RunningApp> {
  const metrics = createMetrics();
  const { database, stopEmbedded } = await openDatabase(config, metrics, logger);
  await database.ensureIndexes();
  if (config.seed) await seedDemoData(database, demoDataSteps);
  const { verifier, devIssuer } = await createIdentity(config, logger);
  const identity = new IdentityDirectory(database, config.membershipCacheTtlMs);
  // Subscribed first, so that every later listener (live WebSocket connections re-verifying their
  // credentials) already finds the changed callers' verified scopes gone.
  const verifiedScopes = new VerifiedScopeCache(config.membershipCacheTtlMs);
  identity.onChange((notice) => verifiedScopes.forget(notice));
  // Every instance applies every committed membership, user and API-key change at once (caches, live
  // WebSocket connections); the cache TTL only bounds staleness while this stream is down.
  const identityFeed = await database.watchIdentity((change) => identity.applyChange(change), {
    onError: (error) => logger.warn({ err: error }, 'identity change stream failed; reopening it'),
  });
  const authenticator = new Authenticator(
    verifier,
    identity,
    (key, at) => recordKeyUse(database.forTenant(key.tenantId), key.keyId, at),
    logger,
  );
  // One change stream per instance feeds every exportEvents subscriber; open before listening.
  const exportFeed = new ExportFeed(database, logger, { sequencerLeaseMs: config.eventSequencerLeaseMs });
  await exportFeed.start();
  trackExportFeed(metrics, exportFeed);
  // After the feed: a tenant's new placement gets its event streams here before this instance confirms it.
  const placementFollower = await database.followPlacements((error) =>
    logger.warn({ err: error }, 'placement registry stream failed; reopening it'),
  );
  const { schema, sdl } = buildSubgraph();
  // Export links are built on PUBLIC_URL, else on the address known once listening (PORT=0 picks it).
  let listeningUrl = '';
  const bi = createBiServices(database, schema, () => config.publicUrl ?? listeningUrl);
  const limits = new Limits(schema, {
    plans: config.plans,
    authFailures: config.authFailures,
    store: database.limits,
    syncMs: config.rateLimitSyncMs,
    usageFlushMs: config.usageFlushMs,
    executionConcurrency: config.executionConcurrency,
    executionConcurrencyMax: config.executionConcurrencyMax,
    onError: (error) => logger.warn({ err: error }, 'limits: reconciliation or usage ledger write failed'),
  });
  await database.limits.ensureIndexes();
  limits.start();
  const staging = await createStaging(config.staging, database, bi.linkSecrets, () => config.publicUrl ?? listeningUrl);
  const jobs = new JobService({
    database,
    staging,
    identity,
    plans: config.plans,
    logger,
    ...config.jobs,
    sweepMs: config.staging.sweepMs,
    unfinishedGraceMs: config.staging.unfinishedGraceSeconds * 1000,
  });
  const services: Services = {
    config,
    database,
    identity,
    authenticator,
    verifiedScopes,
    exportFeed,
    bi,
    limits,
    staging,
    jobs,
    logger,
  };
  // A tenant purged through another instance (or the command line): this one forgets it too.
  identity.onChange((notice) => {
    if (notice.kind !== 'tenant') return;
    void identity
      .tenantById(notice.tenantId)
      .then((tenant) => (tenant === null ? limits.forgetTenant(notice.tenantId) : undefined))
      .catch((error: unknown) => logger.warn({ err: error }, 'could not forget a purged tenant’s limits'));
  });

  const httpServer = createServer();
  const validationRules = queryLimitRules();
  const formatError = createFormatError({
    unexpected: (error) => logger.error({ err: error }, 'unexpected error'),
    unavailable: (error) => logger.warn({ err: error }, 'database unavailable'),
  });
  const webSocket = attachWebSocketServer(httpServer, { schema, services, validationRules, formatError });
  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: true,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM/SIGINT. Apollo's own handlers (installed unless NODE_ENV=test) would call
    // stop() first, and a second, concurrent stop() (main's, through RunningApp.stop) waits on a
    // barrier Apollo never resolves on success: the process would hang instead of exiting.
    stopOnTerminationSignals: false,
    // Apollo's CSRF guard refuses a GET without `apollo-require-preflight` (the contract's plain
    // `GET /graphql` with a Bearer token) and answers an anonymous one BAD_USER_INPUT instead of 401.
    // It guards nothing here: credentials only ever come in Authorization or X-API-Key, which a
    // browser never attaches on its own, and nothing executes without them. Revisit if cookies or
    // any ambient credential are ever accepted.
    csrfPrevention: false,
    // Automatic persisted queries of front-ends (register-on-miss) are served per tenant by
    // persistedQueryPlugin, after trusted BI operations and the per-credential safelist.
    persistedQueries: false,
    validationRules,
    parseOptions: queryParseOptions,
    formatError,
    logger,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceMs }),
      { serverWillStart: async () => ({ drainServer: () => webSocket.close() }) },
      ApolloServerPluginLandingPageDisabled(),
      // Apollo's cache-control plugin hooks every field of every answer to gather @cacheControl hints,
      // which this schema has none of: answers are marked uncacheable by noStoreByDefault (last)
      // unless the persisted-query plugin made them cacheable (revalidation.ts).
      ApolloServerPluginCacheControlDisabled(),
      httpSubscriptionsPlugin(),
      persistedQueryPlugin({
        registry: bi.trustedOperations,
        automatic: createDocumentCache(),
        cacheMaxAgeSeconds: config.biCacheMaxAgeSeconds,
        versioning: new EventVersioning(schema, eventVersionedFields),
      }),
      limitsPlugin(limits),
      observabilityPlugin(metrics, logger),
      tenantSpanPlugin(),
      errorStatusPlugin(),
      // After errorStatusPlugin: the status it sets is the one a key stores and replays.
      idempotencyPlugin({
        mutations: mutationRetry,
        contextIn: ({ requestId, principal, tenant, roles }, data) =>
          contextFor(services, { requestId, principal, tenant, roles }, data),
        formatError,
      }),
      noStoreByDefault(),
    ],
  });
  await apollo.start();
  jobs.handle('IMPORT', importHandler(schema));
  jobs.handle('EXPORT', exportHandler(services, apollo, schema));
  const adminApi = await createAdminApi(services, formatError);
  // The IDE and the dev token endpoint are development tools: in production their module (and its
  // dev dependencies) is never even loaded.
  const devRoutes =
    config.nodeEnv === 'production'
      ? null
      : (await import('./ide/routes.js')).ideRoutes({ devIssuer, identity, logger });
  const devJwks = devIssuer?.jwks ?? null;
  const drain = createDrain();
  httpServer.on(
    'request',
    drain.guard(
      createHttpApp({ services, apollo, metrics, devJwks, devRoutes, adminRoutes: adminApi.router, schema, sdl }),
    ),
  );
  const stop = async () => {
    drain.start();
    await jobs.stop();
    await apollo.stop();
    await adminApi.stop();
    await placementFollower.stop();
    await exportFeed.stop();
    await limits.stop();
    await identityFeed.stop();
    await database.close();
    await stopEmbedded?.();
  };
  let address: AddressInfo;
  try {
    address = await listen(httpServer, config.port, config.host);
  } catch (error) {
    await stop();
    throw error;
  }
  const url = `http://${config.host}:${address.port}`;
  listeningUrl = url;
  logger.info({ url: `${url}/graphql`, auth: config.auth.mode }, 'tenantgraph listening');
  jobs.start();

  return { url, port: address.port, httpServer, services, metrics, stop };
}

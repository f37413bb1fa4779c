import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { importJWK, SignJWT, type JWTPayload } from 'jose';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { loadOrCreateDevIssuer, type DevIssuer } from '../../src/auth/dev-issuer.js';
import { loadConfig } from '../../src/config.js';
import { startApp, type RunningApp } from '../../src/server/app.js';
import { startTestMongo, uniqueDbName, type TestMongo } from './mongo.js';

export interface GraphQLResponse<TData = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: TData | null;
  errors?: Array<{
    message: string;
    path?: Array<string | number>;
    extensions?: { code?: string } & Record<string, unknown>;
  }>;
}

export interface TestServer {
  app: RunningApp;
  url: string;
  issuer: DevIssuer;
  /** A JWT with exactly these claims, signed with the dev issuer's own private key. */
  signRaw(claims: JWTPayload): Promise<string>;
  /** A dev-issuer token for a seeded user (default lifetime 10 minutes). */
  token(email: string, options?: { tenant?: string; ttlSeconds?: number }): Promise<string>;
  /** POSTs a GraphQL request; `auth` is a token, an API key, or null for none. */
  gql<TData = Record<string, unknown>>(
    query: string,
    options?: { variables?: Record<string, unknown>; auth?: string | null; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<TData>>;
  /** gql as the seeded user with that email. */
  as<TData = Record<string, unknown>>(
    email: string,
    query: string,
    options?: { variables?: Record<string, unknown>; tenant?: string },
  ): Promise<GraphQLResponse<TData>>;
  stop(): Promise<void>;
}

/**
 * A real server on a free loopback port, seeded with the demo data, on its own database of the test
 * MongoDB (embedded, or MONGODB_URI's), in dev-issuer mode with a temporary DATA_DIR.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { logger?: Logger } = {},
): Promise<TestServer> {
  const mongo: TestMongo = await startTestMongo();
  const dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-test-'));
  const config = loadConfig({
    PORT: '0',
    MONGODB_URI: mongo.uri,
    MONGODB_DB: uniqueDbName('api'),
    DATA_DIR: dataDir,
    SEED: 'true',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await startApp(config, options.logger ?? pino({ level: 'silent' }));
  return serving(app, dataDir, async () => {
    await app.stop();
    await mongo.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
}

/**
 * The service as `npm start` runs it without MONGODB_URI: on the embedded database kept in
 * `<dataDir>/db`, seeded (idempotently), in dev-issuer mode with the key of `dataDir`. Starting it
 * again on the same directory is a restart. The directory is left in place.
 */
export async function startEmbeddedDefaultServer(dataDir: string): Promise<TestServer> {
  const app = await startApp(
    loadConfig({ PORT: '0', DATA_DIR: dataDir, SEED: 'true', LOG_LEVEL: 'silent' }),
    pino({ level: 'silent' }),
  );
  return serving(app, dataDir, () => app.stop());
}

/**
 * A second instance of the service on the same database as `first` (same MONGODB_URI and MONGODB_DB)
 * and the same DATA_DIR, so that the dev issuer's tokens are accepted by both: what two replicas
 * behind a load balancer see. Not seeded again. Stop it before `first`.
 */
export async function startPeerServer(first: TestServer, env: Record<string, string> = {}): Promise<TestServer> {
  const { config } = first.app.services;
  if (config.auth.mode !== 'dev' || config.mongodbUri === undefined)
    throw new Error('startPeerServer needs a dev-mode test server');
  const app = await startApp(
    loadConfig({
      PORT: '0',
      MONGODB_URI: config.mongodbUri,
      MONGODB_DB: config.mongodbDb,
      DATA_DIR: config.auth.dataDir,
      SEED: 'false',
      LOG_LEVEL: 'silent',
      ...env,
    }),
    pino({ level: 'silent' }),
  );
  return serving(app, config.auth.dataDir, () => app.stop());
}

/**
 * Two instances on one database (`startTestServer`, then `startPeerServer`, both with `env`) for the
 * tests of a file: started before them, stopped after them, the peer first. Read `a` and `b` inside
 * the tests and hooks.
 */
export function twoInstances(env: Record<string, string> = {}): { readonly a: TestServer; readonly b: TestServer } {
  const started: { a?: TestServer; b?: TestServer } = {};
  beforeAll(async () => {
    started.a = await startTestServer(env);
    started.b = await startPeerServer(started.a, env);
  });
  afterAll(async () => {
    await started.b?.stop();
    await started.a?.stop();
  });
  return {
    get a() {
      return started.a!;
    },
    get b() {
      return started.b!;
    },
  };
}

/**
 * An instance of the service on an existing database (`MONGODB_URI`, `MONGODB_DB`) with the dev issuer
 * of `dataDir`: another replica of a service started elsewhere (another process, for example). Not
 * seeded. The directory is left in place.
 */
export async function startServerOn(
  target: { mongodbUri: string; mongodbDb: string; dataDir: string },
  env: Record<string, string> = {},
): Promise<TestServer> {
  const app = await startApp(
    loadConfig({
      PORT: '0',
      MONGODB_URI: target.mongodbUri,
      MONGODB_DB: target.mongodbDb,
      DATA_DIR: target.dataDir,
      SEED: 'false',
      LOG_LEVEL: 'silent',
      ...env,
    }),
    pino({ level: 'silent' }),
  );
  return serving(app, target.dataDir, () => app.stop());
}

async function serving(app: RunningApp, dataDir: string, stop: () => Promise<void>): Promise<TestServer> {
  const issuer = await loadOrCreateDevIssuer(dataDir);
  const endpoint = `${app.url}/graphql`;
  const privateJwk = JSON.parse(await readFile(join(dataDir, 'dev-issuer-key.json'), 'utf8')) as { kid: string };
  const privateKey = await importJWK(privateJwk, 'ES256');
  const signRaw = (claims: JWTPayload) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid }).sign(privateKey);

  const gql: TestServer['gql'] = async (query, options = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.auth) headers.authorization = `Bearer ${options.auth}`;
    const response = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables: options.variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse, 'status' | 'headers'>;
    return { status: response.status, headers: response.headers, ...body } as never;
  };

  const token: TestServer['token'] = (email, options = {}) =>
    issuer.sign(
      { subject: email, email, ...(options.tenant ? { tenant: options.tenant } : {}) },
      options.ttlSeconds ?? 600,
    );

  return {
    app,
    url: app.url,
    issuer,
    signRaw,
    token,
    gql,
    async as(email, query, options = {}) {
      return gql(query, {
        variables: options.variables,
        auth: await token(email),
        headers: options.tenant ? { 'x-tenant-id': options.tenant } : {},
      });
    },
    stop,
  };
}

/** The error codes of a response, in order. */
export const codes = (response: GraphQLResponse) => (response.errors ?? []).map((error) => error.extensions?.code);

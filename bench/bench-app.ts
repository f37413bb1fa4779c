import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { loadOrCreateDevIssuer, type DevIssuer } from '../src/auth/dev-issuer.js';
import { loadConfig } from '../src/config.js';
import type { TenantDb } from '../src/data/tenant-db.js';
import { startEmbeddedMongo } from '@tenantgraph/embedded-mongo';
import { startApp, type RunningApp } from '../src/server/app.js';
import { seedId } from '../src/seed/seed.js';

export interface BenchApp {
  app: RunningApp;
  issuer: DevIssuer;
  /** A dev token of alice (texas ADMIN), valid for an hour. */
  token: string;
  texasId: string;
  texas: TenantDb;
  stop(): Promise<void>;
}

/** What a bench server is started from. */
export interface ServerModules {
  startEmbeddedMongo: typeof startEmbeddedMongo;
  loadConfig: typeof loadConfig;
  startApp: typeof startApp;
  loadOrCreateDevIssuer: typeof loadOrCreateDevIssuer;
}

/** The sources, as `npm run bench` runs them (tsx). */
const SOURCES: ServerModules = { startEmbeddedMongo, loadConfig, startApp, loadOrCreateDevIssuer };

/** Builds dist/ when it is missing or older than the sources, as `npm start` does (scripts/build-if-stale.mjs). */
export async function buildForProduction(): Promise<void> {
  await promisify(execFile)(process.execPath, [
    fileURLToPath(new URL('../scripts/build-if-stale.mjs', import.meta.url)),
  ]);
}

/**
 * The same modules as production runs them: the compiled dist/ (`npm start`), once
 * `buildForProduction` has built it. tsx keeps every function's name by redefining it where it is
 * made, closures made per request included: each such closure gets a property store of its own
 * (about 3 KiB per subscriber of the export fan-out), and the whole stack answers requests about 10%
 * slower, so that a fixed cost such as the limiter's is a smaller share of a request under tsx than
 * in production.
 */
export async function productionModules(): Promise<ServerModules> {
  const built = (path: string) => import(new URL(`../${path}`, import.meta.url).href);
  const [mongo, config, app, issuer] = await Promise.all([
    built('packages/embedded-mongo/dist/index.js') as Promise<typeof import('@tenantgraph/embedded-mongo')>,
    built('dist/config.js') as Promise<typeof import('../src/config.js')>,
    built('dist/server/app.js') as Promise<typeof import('../src/server/app.js')>,
    built('dist/auth/dev-issuer.js') as Promise<typeof import('../src/auth/dev-issuer.js')>,
  ]);
  return {
    startEmbeddedMongo: mongo.startEmbeddedMongo,
    loadConfig: config.loadConfig,
    startApp: app.startApp,
    loadOrCreateDevIssuer: issuer.loadOrCreateDevIssuer,
  };
}

/**
 * Plans large enough that no bench load meets a limit: the benches measure the stack, and the limits'
 * own figures are measured by noisy-neighbour.ts, which sets its plans itself.
 */
const UNLIMITED = JSON.stringify(
  Object.fromEntries(
    ['free', 'standard', 'enterprise'].map((plan) => [
      plan,
      { restoreRate: 1_000_000_000, bucketSize: 1_000_000_000, requestsInFlight: 1_000_000 },
    ]),
  ),
);

/**
 * The full server, seeded, on a fresh embedded database and a temporary DATA_DIR, as every bench starts
 * it; `env` adds to or overrides its configuration. From the sources, or from `modules`
 * (`productionModules`).
 */
export async function startBenchApp(
  env: Record<string, string> = {},
  modules: ServerModules = SOURCES,
): Promise<BenchApp> {
  const mongo = await modules.startEmbeddedMongo();
  const dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-bench-'));
  const stopAll = async (app?: RunningApp) => {
    await app?.stop();
    await mongo.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const config = modules.loadConfig({
      PORT: '0',
      MONGODB_URI: mongo.uri,
      DATA_DIR: dataDir,
      SEED: 'true',
      LOG_LEVEL: 'silent',
      PLANS: UNLIMITED,
      ...env,
    });
    const app = await modules.startApp(config, pino({ level: 'silent' }));
    const issuer = await modules.loadOrCreateDevIssuer(dataDir);
    const token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 3600);
    const texasId = seedId('tenant:texas');
    return { app, issuer, token, texasId, texas: app.services.database.forTenant(texasId), stop: () => stopAll(app) };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Adds `count` parks to a tenant, so that a list query has a realistic page to render; returns their ids. */
export async function addParks(db: TenantDb, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const now = new Date();
    const park = await db
      .collection('parks')
      .insertOne({ name: `Bench Park ${i}`, region: 'Bench', capacity: i, createdAt: now, updatedAt: now });
    ids.push(park._id as string);
  }
  return ids;
}

/** Adds `perPark` reservations to each of these parks, for nested list queries. */
export async function addReservations(db: TenantDb, parkIds: readonly string[], perPark: number): Promise<void> {
  const now = new Date();
  for (const parkId of parkIds) {
    for (let i = 0; i < perPark; i += 1) {
      await db.collection('reservations').insertOne({
        parkId,
        visitorName: `Visitor ${i}`,
        visitorEmail: `visitor${i}@example.com`,
        partySize: 1 + (i % 4),
        date: `2026-06-${String(1 + i).padStart(2, '0')}`,
        status: 'CONFIRMED',
        createdAt: now,
        updatedAt: now,
      });
    }
  }
}

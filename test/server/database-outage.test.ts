import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer, type DevIssuer } from '../../src/auth/dev-issuer.js';
import { loadConfig } from '../../src/config.js';
import { startEmbeddedMongo, type EmbeddedMongo } from '@tenantgraph/embedded-mongo';
import { startApp, type RunningApp } from '../../src/server/app.js';
import { expectNoLeak } from '../support/leaks.js';

/**
 * The database stops while requests are being served, then comes back on the same port: every
 * request meanwhile fails within MONGODB_TIMEOUT_MS with 503 SERVICE_UNAVAILABLE (not 30 s later, not
 * INTERNAL_SERVER_ERROR), on the tenant API and the operator API alike, and the same process serves
 * again once the database answers. It stops the
 * database server itself, so it runs on the embedded one only.
 */
const TIMEOUT_MS = 1500;
/** What a request may take beyond the timeout: the driver's retry of a read, a loaded CI machine. */
const SLACK_MS = 2000;

interface Outcome {
  status: number;
  codes: unknown[];
  ms: number;
  body: unknown;
}

describe.skipIf(process.env.MONGODB_URI !== undefined)('the database stopped mid-traffic, then started again', () => {
  let mongo: EmbeddedMongo;
  let port: number;
  let app: RunningApp;
  let dataDir: string;
  let issuer: DevIssuer;
  let token: string;
  let operatorToken: string;

  const post = async (query: string, variables?: Record<string, unknown>): Promise<Outcome> => {
    const started = performance.now();
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: unknown } }> };
    return {
      status: response.status,
      codes: (body.errors ?? []).map((error) => error.extensions?.code),
      ms: performance.now() - started,
      body,
    };
  };
  const operatorRead = async (): Promise<Outcome> => {
    const started = performance.now();
    const response = await fetch(`${app.url}/admin/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken}` },
      body: JSON.stringify({ query: '{ tenants { slug } }' }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: unknown } }> };
    const codes = (body.errors ?? []).map((error) => error.extensions?.code);
    return { status: response.status, codes, ms: performance.now() - started, body };
  };
  const read = () => post('{ parks(first: 100) { nodes { id name } } }');
  const write = (name: string) =>
    post('mutation ($input: CreateParkInput!) { createPark(input: $input) { id name } }', { input: { name } });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-outage-'));
    mongo = await startEmbeddedMongo({ dir: join(dataDir, 'db') });
    port = Number(new URL(mongo.uri).port);
    app = await startApp(
      loadConfig({
        PORT: '0',
        MONGODB_URI: mongo.uri,
        DATA_DIR: dataDir,
        SEED: 'true',
        MONGODB_TIMEOUT_MS: String(TIMEOUT_MS),
        // Identity from the cache while the database is away, so that requests reach the resolvers.
        MEMBERSHIP_CACHE_TTL_MS: '60000',
      }),
      pino({ level: 'silent' }),
    );
    issuer = await loadOrCreateDevIssuer(dataDir);
    token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 600);
    operatorToken = await issuer.sign({ subject: 'olivia@example.com', email: 'olivia@example.com' }, 600);
  });

  afterAll(async () => {
    await app?.stop();
    await mongo?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 SERVICE_UNAVAILABLE within the timeout while it is down, and serves again when it is back', async () => {
    expect((await read()).codes).toEqual([]);
    expect((await write('Before the outage')).codes).toEqual([]);
    expect(await operatorRead()).toMatchObject({ status: 200, codes: [] });

    // Traffic of reads and writes, then the database goes away under it.
    const during = Array.from({ length: 6 }, (_, index) => (index % 2 === 0 ? read() : write(`During ${index}`)));
    await mongo.stop();
    const afterStop = await Promise.all([
      read(),
      write('While down'),
      read(),
      write('While down too'),
      // The operator API goes through the same error module.
      operatorRead(),
    ]);
    const inFlight = await Promise.all(during);

    for (const outcome of afterStop) {
      expect(outcome.status).toBe(503);
      expect(outcome.codes).toEqual(['SERVICE_UNAVAILABLE']);
      expect(outcome.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      expectNoLeak(outcome.body);
    }
    // Those already running when it stopped either finished or failed the same way, never otherwise.
    for (const outcome of inFlight) {
      expect([[], ['SERVICE_UNAVAILABLE']]).toContainEqual(outcome.codes);
      expect(outcome.status).toBe(outcome.codes.length === 0 ? 200 : 503);
    }
    expect((await fetch(`${app.url}/readyz`)).status).toBe(503);

    // The same port and data again: the same process recovers without a restart.
    mongo = await startEmbeddedMongo({ port, dir: join(dataDir, 'db') });
    const deadline = performance.now() + 10_000;
    while ((await fetch(`${app.url}/readyz`)).status !== 200) {
      expect(performance.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const written = await write('After the outage');
    expect(written).toMatchObject({ status: 200, codes: [] });
    expect(await operatorRead()).toMatchObject({ status: 200, codes: [] });
    const listed = await read();
    expect(listed).toMatchObject({ status: 200, codes: [] });
    expect(JSON.stringify(listed.body)).toContain('After the outage');
    expect(JSON.stringify(listed.body)).toContain('Before the outage');
  });
});

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import {
  type Child,
  ROOT,
  refusesConnections,
  startInFlightRequest,
  startServerProcess,
} from '../support/child-process.js';

/**
 * The production process: `node dist/main.js`, compiled by `npm run build`, and `npm start`, which
 * builds when dist/ is stale and then runs it as npm's only child. SIGTERM to either drains the
 * request in flight, exits 0 and frees the port: no process is left behind holding it.
 */
const BUILD_MS = 240_000;

beforeAll(async () => {
  // At most one build for this file, the same one `npm start` would do; later starts find dist/ fresh.
  const build = spawn(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: ROOT, stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => build.once('exit', resolve));
  expect(code).toBe(0);
}, BUILD_MS);

describe.each([
  ['node dist/main.js', () => [process.execPath, ['dist/main.js']] as const],
  ['npm start', () => ['npm', ['start', '--silent']] as const],
])('%s', (_name, command) => {
  let dataDir: string;
  let server: Child;
  let port: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-production-'));
    const [file, args] = command();
    server = startServerProcess(file, [...args], { PORT: '0', LOG_LEVEL: 'info', DATA_DIR: dataDir });
    const listening = await server.line((line) => line.msg === 'tenantgraph listening', 60_000);
    port = Number(new URL(listening.url as string).port);
  }, 90_000);

  afterAll(async () => {
    if (server && server.process.exitCode === null && server.process.signalCode === null) {
      server.process.kill('SIGKILL');
      await server.exited;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('serves from the compiled code, schema files and manifest included', async () => {
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 600);
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { tenant { slug } } parks(first: 1) { nodes { name } } }' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ data: { viewer: { tenant: { slug: 'texas' } } } });
  });

  it('on SIGTERM answers the request in flight, exits 0 and releases the port', async () => {
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 600);
    const inFlight = await startInFlightRequest(port, {
      authorization: `Bearer ${token}`,
      body: JSON.stringify({ query: '{ viewer { user { email } } }' }),
    });

    server.process.kill('SIGTERM');
    await server.line((line) => typeof line.msg === 'string' && /shutting down/.test(line.msg));
    await refusesConnections(port);

    const { head, payload } = await inFlight.finish();
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).toMatch(/^connection: close$/im);
    expect(JSON.parse(payload).data).toEqual({ viewer: { user: { email: 'alice@example.com' } } });
    expect(await server.exited).toEqual({ code: 0, signal: null });
    await refusesConnections(port);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { type Child, refusesConnections, startInFlightRequest, startServerProcess } from '../support/child-process.js';

/**
 * The entry point, src/main.ts, as a child process from its TypeScript sources (as `npm run dev` runs
 * it; test/server/production-process.test.ts runs the compiled one): start-up on PORT=0, JSON logs
 * with the request's identity, a graceful SIGTERM that finishes an in-flight request, and a bad
 * variable, an unreachable database or a port in use stopping the process with one line.
 */
const startMain = (env: Record<string, string>): Child =>
  startServerProcess(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/main.ts'], env);

describe('the server process (src/main.ts)', () => {
  let dataDir: string;
  let main: Child;
  let port: number;
  let baseUrl: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-main-'));
    main = startMain({ PORT: '0', LOG_LEVEL: 'info', DATA_DIR: dataDir });
    const listening = await main.line((line) => typeof line.url === 'string' && /^https?:\/\//.test(line.url));
    const url = new URL(listening.url as string);
    port = Number(url.port);
    baseUrl = `${url.protocol}//${url.host}`;
  });

  afterAll(async () => {
    if (main && main.process.exitCode === null && main.process.signalCode === null) {
      main.process.kill('SIGKILL');
      await main.exited;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('logs the URL it listens on, a free port on loopback, and serves /healthz there', async () => {
    expect(port).toBeGreaterThan(0);
    expect(baseUrl).toBe(`http://127.0.0.1:${port}`);
    const response = await fetch(`${baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
  });

  it('serves the seeded demo data to a dev-issuer token made from the same DATA_DIR', async () => {
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 600)}`,
        'x-request-id': 'entry-point-request-1',
      },
      body: JSON.stringify({
        query: 'query WhoAmI { viewer { user { email } tenant { slug } } }',
        operationName: 'WhoAmI',
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      data: { viewer: { user: { email: 'alice@example.com' }, tenant: { slug: 'texas' } } },
    });
  });

  it('logs JSON lines carrying requestId, tenant, user and operationName for a GraphQL request', async () => {
    const line = await main.line((candidate) => candidate.requestId === 'entry-point-request-1');
    expect(line).toMatchObject({
      requestId: 'entry-point-request-1',
      tenant: 'texas',
      user: 'alice@example.com',
      operationName: 'WhoAmI',
    });
    expect(typeof line.level).toBe('number');
    expect(typeof line.time).toBe('number');
    expect(main.stray).toEqual([]);
  });

  it('a server-made request id is logged when the client sends none (or an unusable one)', async () => {
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const token = await issuer.sign({ subject: 'bob@example.com', email: 'bob@example.com' }, 600);
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'x-request-id': 'bad id\twith spaces',
      },
      body: JSON.stringify({ query: 'query BobsParks { parks(first: 1) { nodes { id } } }' }),
    });
    expect(response.status).toBe(200);
    const line = await main.line((candidate) => candidate.operationName === 'BobsParks');
    expect(line).toMatchObject({ tenant: 'washington', user: 'bob@example.com' });
    expect(line.requestId).toMatch(/^[\w.:-]{8,64}$/);
  });

  it('on SIGTERM stops accepting, finishes a request already in flight, and exits 0', async () => {
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 600);
    const inFlight = await startInFlightRequest(port, {
      authorization: `Bearer ${token}`,
      'x-request-id': 'in-flight-1',
      body: JSON.stringify({ query: 'query InFlight { viewer { user { email } } }' }),
    });

    main.process.kill('SIGTERM');
    await main.line((line) => typeof line.msg === 'string' && /shutting down/i.test(line.msg));
    await refusesConnections(port);
    expect(main.process.exitCode).toBeNull();

    const { head, payload } = await inFlight.finish();
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(payload).data).toEqual({ viewer: { user: { email: 'alice@example.com' } } });

    expect(await main.exited).toEqual({ code: 0, signal: null });
    expect(JSON.stringify(main.lines)).not.toContain(token);
    expect(main.lines.some((line) => line.requestId === 'in-flight-1' && line.operationName === 'InFlight')).toBe(true);
    expect(main.stray).toEqual([]);
  });
});

describe('a bad environment value', () => {
  const failing = async (env: Record<string, string>) => {
    const child = startMain({ LOG_LEVEL: 'info', DATA_DIR: join(tmpdir(), 'tenantgraph-never-created'), ...env });
    const { code } = await child.exited;
    return {
      code,
      stderrLines: child
        .stderr()
        .split('\n')
        .filter((line) => line.trim() !== ''),
    };
  };

  it('PORT=abc stops the process, non-zero, with exactly one stderr line naming PORT', async () => {
    const { code, stderrLines } = await failing({ PORT: 'abc' });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderrLines).toHaveLength(1);
    expect(stderrLines[0]).toMatch(/\bPORT\b/);
  });

  it('a short GATEWAY_SECRET is named, its value never shown', async () => {
    const { code, stderrLines } = await failing({ GATEWAY_SECRET: 'hunter2-short' });
    expect(code).not.toBe(0);
    expect(stderrLines).toHaveLength(1);
    expect(stderrLines[0]).toMatch(/\bGATEWAY_SECRET\b/);
    expect(stderrLines[0]).not.toContain('hunter2');
  });
});

describe('start-up that cannot complete', () => {
  const failing = async (env: Record<string, string>) => {
    const started = performance.now();
    const child = startMain({ LOG_LEVEL: 'info', DATA_DIR: join(tmpdir(), 'tenantgraph-never-created'), ...env });
    const { code } = await child.exited;
    return {
      code,
      ms: performance.now() - started,
      lines: child.lines,
      stderrLines: child
        .stderr()
        .split('\n')
        .filter((line) => line.trim() !== ''),
    };
  };

  it('a database that cannot be reached: "connecting to" its host, then one line naming it, exit 1, within the timeout', async () => {
    // A port nothing listens on: taken from a server that is closed again.
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const host = `127.0.0.1:${closed}`;
    const { code, ms, lines, stderrLines } = await failing({
      MONGODB_URI: `mongodb://app:hunter2-secret@${host}/?replicaSet=rs0`,
      MONGODB_TIMEOUT_MS: '1000',
    });
    expect(code).toBe(1);
    expect(lines.some((line) => line.msg === `connecting to ${host}`)).toBe(true);
    expect(stderrLines).toEqual([
      `tenantgraph: cannot reach the database at ${host} within 1000 ms (MONGODB_TIMEOUT_MS)`,
    ]);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    // Loading the TypeScript sources takes a few seconds of its own on a busy machine.
    expect(ms).toBeLessThan(1000 + 8000);
  });

  it('a port in use: one line naming it, exit 1, no stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const { code, stderrLines } = await failing({ PORT: String(port) });
      expect(code).toBe(1);
      expect(stderrLines).toEqual([
        `tenantgraph: cannot listen on 127.0.0.1:${port}: the port is already in use (PORT, HOST)`,
      ]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, get } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { uniqueDbName } from '../support/mongo.js';

/**
 * `npm start`'s entry point, src/main.ts, as a child process: start-up on PORT=0, JSON logs with the
 * request's identity, a graceful SIGTERM that finishes an in-flight request, and a bad variable
 * stopping the process with one line.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Child {
  process: ChildProcessWithoutNullStreams;
  lines: Array<Record<string, unknown>>;
  /** stdout lines that are not JSON (there must be none). */
  stray: string[];
  stderr: () => string;
  /** The first log line (already written or still to come) that satisfies `test`. */
  line(test: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startMain(env: Record<string, string>): Child {
  const external = process.env.MONGODB_URI;
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      // Against a real MongoDB (MONGODB_URI=… npm test), a database of its own, seeded.
      ...(external ? { MONGODB_URI: external, MONGODB_DB: uniqueDbName('main'), SEED: 'true' } : {}),
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const stray: string[] = [];
  const waiters: Array<{
    test: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }> = [];
  let pending = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const text of complete) {
      if (text.trim() === '') continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        stray.push(text);
        continue;
      }
      lines.push(line);
      for (const waiter of waiters.filter((candidate) => candidate.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    lines,
    stray,
    stderr: () => stderr,
    exited,
    line(test, timeoutMs = 15_000) {
      const found = lines.find(test);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no such log line within ${timeoutMs} ms; stderr: ${stderr}; stdout: ${JSON.stringify(lines)}`),
            ),
          timeoutMs,
        );
        waiters.push({
          test,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then(() => reject(new Error(`exited before the log line; stderr: ${stderr}`)));
      });
    },
  };
}

/** Resolves when a new TCP connection to the port is refused (the server stopped accepting). */
async function refusesConnections(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const request = get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (response) => {
        response.resume();
        resolve(false);
      });
      request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });
    if (refused) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the server still accepts connections');
}

describe('npm start (src/main.ts)', () => {
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
    const body = JSON.stringify({ query: 'query InFlight { viewer { user { email } } }' });
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const continued = new Promise<void>((resolve, reject) => {
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        received += chunk;
        if (received.startsWith('HTTP/1.1 100')) resolve();
      });
      socket.on('error', reject);
    });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    // The headers, not the body: with Expect: 100-continue the server answers 100 once it has the
    // request, which is then in flight (Node has dispatched it) while its body is still to come.
    socket.write(
      [
        'POST /graphql HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        'Content-Type: application/json',
        `Authorization: Bearer ${token}`,
        'X-Request-ID: in-flight-1',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Expect: 100-continue',
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
    );
    await continued;

    main.process.kill('SIGTERM');
    await main.line((line) => typeof line.msg === 'string' && /shutting down/i.test(line.msg));
    await refusesConnections(port);
    expect(main.process.exitCode).toBeNull();

    socket.write(body);
    await closed;
    const [head = '', payload = ''] = received.replace(/^HTTP\/1\.1 100[^\r]*\r\n\r\n/, '').split('\r\n\r\n');
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

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { get } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { uniqueDbName } from './mongo.js';

/** The repository's root: where `npm start` and `node dist/main.js` run. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The server as a child process, its stdout read as JSON log lines. */
export interface Child {
  process: ChildProcessWithoutNullStreams;
  lines: Array<Record<string, unknown>>;
  /** stdout lines that are not JSON (there must be none). */
  stray: string[];
  stderr: () => string;
  /** The first log line (already written or still to come) that satisfies `test`. */
  line(test: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `command` from the repository's root with a minimal environment plus `env`. Against a real
 * MongoDB (MONGODB_URI=… npm test) it gets a database of its own, seeded.
 */
export function startServerProcess(command: string, args: string[], env: Record<string, string>): Child {
  const external = process.env.MONGODB_URI;
  const child = spawn(command, args, {
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
export async function refusesConnections(port: number, timeoutMs = 5000): Promise<void> {
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

export interface InFlightRequest {
  /** Sends the body, then resolves with the response's head and body once the server closes. */
  finish(): Promise<{ head: string; payload: string }>;
}

/**
 * A POST /graphql that is in flight: its headers are sent with `Expect: 100-continue`, and the server's
 * 100 answer says Node has dispatched it to the application, while its body is still to come.
 */
export async function startInFlightRequest(
  port: number,
  { authorization, body, ...headers }: { authorization: string; body: string } & Record<string, string>,
): Promise<InFlightRequest> {
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
  socket.write(
    [
      'POST /graphql HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Content-Type: application/json',
      `Authorization: ${authorization}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Expect: 100-continue',
      'Connection: close',
      '',
      '',
    ].join('\r\n'),
  );
  await continued;
  return {
    async finish() {
      socket.write(body);
      await closed;
      const [head = '', payload = ''] = received.replace(/^HTTP\/1\.1 100[^\r]*\r\n\r\n/, '').split('\r\n\r\n');
      return { head, payload };
    },
  };
}

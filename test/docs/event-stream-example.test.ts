import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { loadConfig } from '../../src/config.js';
import { startApp, type RunningApp } from '../../src/server/app.js';
import { tenantIdOf } from '../events/support.js';
import { until } from '../support/wait.js';
import { startTestMongo, uniqueDbName, type TestMongo } from '../support/mongo.js';
import { ROOT } from './markdown.js';

/*
 * examples/event-stream/consume.ts, run as the event stream guide says, against a real server: it
 * prints events, keeps its cursor in a file, reconnects when the server goes away and resumes from the
 * cursor when the server (here: a new instance on the same port and database) is back, and resumes
 * from the file after a restart of its own. Every park created is printed exactly once.
 */

interface Consumer {
  events: Array<{ type: string; data: { name?: string }; cursor: string }>;
  log: string[];
  /** Resolves once `check` holds; fails with the output when the consumer exits or after `timeoutMs`. */
  until(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<number | null>;
}

function startConsumer(env: Record<string, string>): Consumer {
  const child: ChildProcess = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['examples/event-stream/consume.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Consumer['events'] = [];
  const log: string[] = [];
  let exitCode: number | null | undefined;
  const lines = (into: (line: string) => void) => {
    let rest = '';
    return (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) into(line);
    };
  };
  child.stdout?.on(
    'data',
    lines((line) => events.push(JSON.parse(line) as Consumer['events'][number])),
  );
  child.stderr?.on(
    'data',
    lines((line) => log.push(line)),
  );
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  return {
    events,
    log,
    async until(check, what, timeoutMs = 15_000) {
      await until(
        () => {
          if (exitCode !== undefined) throw new Error(`the consumer exited (${exitCode}): ${JSON.stringify(log)}`);
          return check();
        },
        `${what}: ${JSON.stringify({ log, events })}`,
        timeoutMs,
      );
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('examples/event-stream/consume.ts', () => {
  let mongo: TestMongo;
  let dataDir: string;
  let cursorFile: string;
  const apps: RunningApp[] = [];
  const dbName = uniqueDbName('docs');

  const start = async (port: number) => {
    const app = await startApp(
      loadConfig({
        PORT: String(port),
        MONGODB_URI: mongo.uri,
        MONGODB_DB: dbName,
        DATA_DIR: dataDir,
        SEED: 'true',
        LOG_LEVEL: 'silent',
      }),
      pino({ level: 'silent' }),
    );
    apps.push(app);
    return app;
  };

  const createPark = async (app: RunningApp, name: string) => {
    const token = await (await loadOrCreateDevIssuer(dataDir)).sign(
      { subject: 'alice@example.com', email: 'alice@example.com' },
      600,
    );
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation ($name: String!) { createPark(input: { name: $name }) { id } }',
        variables: { name },
      }),
    });
    expect(await response.json()).toMatchObject({ data: { createPark: { id: expect.any(String) } } });
  };

  beforeAll(async () => {
    mongo = await startTestMongo();
    dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-consumer-'));
    cursorFile = join(dataDir, 'cursor');
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.stop().catch(() => {});
    await mongo?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints each event once across a server restart and its own restart, resuming from the cursor file', async () => {
    const first = await start(0);
    const port = Number(new URL(first.url).port);
    const frank = await (await loadOrCreateDevIssuer(dataDir)).sign(
      { subject: 'frank@example.com', email: 'frank@example.com' },
      600,
    );
    const env = {
      TENANTGRAPH_URL: `ws://127.0.0.1:${port}/graphql`,
      TENANTGRAPH_CREDENTIAL: frank,
      CURSOR_FILE: cursorFile,
      EVENT_TYPES: 'park.created',
    };
    const names = (consumer: Consumer) => consumer.events.map((event) => event.data.name);

    const consumer = startConsumer(env);
    const started = () => first.services.exportFeed.started(tenantIdOf('texas')) > 0;
    await consumer.until(started, 'the subscription to start');
    await createPark(first, 'Lost Maples');
    await consumer.until(() => consumer.events.length === 1, 'the first event');

    await first.stop();
    await consumer.until(() => consumer.log.some((line) => line.includes('reconnecting')), 'a reconnection');
    const second = await start(port);
    await createPark(second, 'Pedernales Falls');
    await consumer.until(() => consumer.events.length === 2, 'the event committed while it reconnected');
    expect(consumer.log).toContainEqual('consume: connected, resuming after the stored cursor');
    expect(await consumer.stop()).toBe(0);
    expect(names(consumer)).toEqual(['Lost Maples', 'Pedernales Falls']);
    expect(await readFile(cursorFile, 'utf8')).toBe(consumer.events[1]?.cursor);

    await createPark(second, 'Colorado Bend');
    const restarted = startConsumer(env);
    await restarted.until(() => restarted.events.length === 1, 'the event committed while it was stopped');
    await createPark(second, 'Inks Lake');
    await restarted.until(() => restarted.events.length === 2, 'a live event after the replay');
    expect(await restarted.stop()).toBe(0);
    expect(names(restarted)).toEqual(['Colorado Bend', 'Inks Lake']);
  });
});

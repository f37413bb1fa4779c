import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPark, subscribeEvents } from '../events/support.js';
import { startEmbeddedDefaultServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

/**
 * `npm start` without MONGODB_URI keeps its data in DATA_DIR: parks, API keys and event cursors
 * survive a graceful restart and a kill -9.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PARK = 'query ($id: ID!) { park(id: $id) { id name } }';
const CREATE_API_KEY = 'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }';

async function withApiKey<T>(url: string, secret: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T; errors?: unknown[] };
}

/**
 * The child's export event sequencer lease (EVENT_SEQUENCER_LEASE_MS). Killed, the child keeps the lease
 * until it expires, and only then does the restarted server take it over and publish the events the child
 * committed: with the default (10 s, then up to a third more until the next try) that takeover alone can
 * outlast waiting for the events. A short lease makes it about a second after the kill.
 */
const CHILD_LEASE_MS = '1000';

/** Runs src/main.ts on the data directory until it logs where it listens; returns that URL and the child. */
async function startMain(dataDir: string) {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      DATA_DIR: dataDir,
      EVENT_SEQUENCER_LEASE_MS: CHILD_LEASE_MS,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const text of createInterface({ input: child.stdout })) {
    const line = JSON.parse(text) as { url?: string };
    if (line.url) return { child, url: new URL(line.url).origin };
  }
  throw new Error('src/main.ts exited before listening');
}

describe.skipIf(process.env.MONGODB_URI)('the embedded default database across restarts', () => {
  let dataDir: string;
  let server: TestServer | undefined;
  let secret: string;
  let cursor: string;
  const parks: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-restart-'));
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps a park, an API key and an event cursor across a graceful restart', async () => {
    server = await startEmbeddedDefaultServer(dataDir);
    const created = await server.as<{ createApiKey: { secret: string } }>('alice@example.com', CREATE_API_KEY, {
      variables: { input: { name: 'restart', roles: ['EDITOR', 'INTEGRATOR'] } },
    });
    secret = created.data!.createApiKey.secret;
    const live = await subscribeEvents(server, { bearer: secret });
    parks.push(await createPark(server, 'alice@example.com', 'Before restart'));
    cursor = (await live.waitFor(1))[0]!.cursor;
    await live.stop();
    parks.push(await createPark(server, 'alice@example.com', 'Also before restart'));
    await server.stop();

    server = await startEmbeddedDefaultServer(dataDir);
    for (const id of parks) {
      const found = await withApiKey<{ park: { id: string } }>(server.url, secret, PARK, { id });
      expect(found).toMatchObject({ data: { park: { id, name: expect.any(String) } } });
    }
    const replay = await subscribeEvents(server, { bearer: secret }, { after: cursor });
    const [event] = await replay.waitFor(1);
    expect(event).toMatchObject({ type: 'park.created', subject: parks[1] });
    await replay.stop();
    await server.stop();
    server = undefined;
  });

  it('keeps everything acknowledged before a kill -9', async () => {
    const { child, url } = await startMain(dataDir);
    const exited = once(child, 'exit');
    const created = await withApiKey<{ createPark: { id: string } }>(
      url,
      secret,
      'mutation ($input: CreateParkInput!) { createPark(input: $input) { id } }',
      { input: { name: 'Acknowledged, then killed' } },
    );
    expect(created.errors).toBeUndefined();
    parks.push(created.data!.createPark.id);
    child.kill('SIGKILL');
    await exited;

    server = await startEmbeddedDefaultServer(dataDir);
    for (const id of parks) {
      expect(await withApiKey(server.url, secret, PARK, { id })).toMatchObject({
        data: { park: { id, name: expect.any(String) } },
      });
    }
    const replay = await subscribeEvents(server, { bearer: secret }, { after: cursor });
    const events = await replay.waitFor(2);
    expect(events.map((event) => event.subject)).toEqual(parks.slice(1));
    await replay.stop();
  });
});

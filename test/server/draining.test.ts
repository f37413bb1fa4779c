import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { loadConfig } from '../../src/config.js';
import { startApp, type RunningApp } from '../../src/server/app.js';
import { startTestMongo, uniqueDbName, type TestMongo } from '../support/mongo.js';
import { runOnce, wsClient, wsUrl } from '../support/graphql-ws.js';

/**
 * A graceful shutdown (RunningApp.stop, what SIGTERM runs) under traffic on keep-alive connections: no
 * mutation is ever executed without its response reaching the client. Requests accepted before are
 * answered with `Connection: close`; requests arriving after are answered 503 or never read, and in both
 * cases not executed. WebSocket clients are told 1001 (going away).
 */
const CREATE = 'mutation ($name: String!) { createPark(input: { name: $name }) { name } }';

let mongo: TestMongo;
let app: RunningApp;
let dataDir: string;
let dbName: string;
let token: string;
let stopped: Promise<void> | undefined;

beforeEach(async () => {
  mongo = await startTestMongo();
  dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-drain-'));
  dbName = uniqueDbName('drain');
  const config = loadConfig({
    PORT: '0',
    MONGODB_URI: mongo.uri,
    MONGODB_DB: dbName,
    DATA_DIR: dataDir,
    SEED: 'true',
    SHUTDOWN_GRACE_MS: '5000',
  });
  app = await startApp(config, pino({ level: 'silent' }));
  const issuer = await loadOrCreateDevIssuer(dataDir);
  token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 600);
  stopped = undefined;
});

afterEach(async () => {
  await (stopped ?? app?.stop());
  await mongo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The names of the parks that exist, read straight from the database after the server stopped. */
async function parksNamed(names: string[]): Promise<Set<string>> {
  const client = new MongoClient(mongo.uri);
  try {
    const found = await client
      .db(dbName)
      .collection<{ name: string }>('parks')
      .find({ name: { $in: names } })
      .toArray();
    return new Set(found.map((park) => park.name));
  } finally {
    await client.close();
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The HTTP/1.1 responses in what a socket received, in order (Content-Length or chunked bodies). */
function parseResponses(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const [statusLine = '', ...headerLines] = rest.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(
      headerLines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    );
    rest = rest.slice(headEnd + 4);
    const status = Number(statusLine.split(' ')[1]);
    if (status === 100) continue;
    let body = '';
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const sizeEnd = rest.indexOf('\r\n');
        const size = Number.parseInt(rest.slice(0, sizeEnd), 16);
        rest = rest.slice(sizeEnd + 2);
        if (size === 0) {
          rest = rest.slice(2);
          break;
        }
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
    } else {
      const length = Number(headers['content-length'] ?? 0);
      body = rest.slice(0, length);
      rest = rest.slice(length);
    }
    responses.push({ status, headers, body });
  }
  return responses;
}

const requestText = (body: string, extra: string[] = []) =>
  [
    'POST /graphql HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Authorization: Bearer ${token}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...extra,
    '',
    '',
  ].join('\r\n');

describe('draining on shutdown', () => {
  it('answers the request in flight with Connection: close, and never runs one pipelined behind it', async () => {
    const accepted = JSON.stringify({ query: CREATE, variables: { name: 'Accepted before shutdown' } });
    const late = JSON.stringify({ query: CREATE, variables: { name: 'Arrived during shutdown' } });
    const socket = connect({ host: '127.0.0.1', port: app.port });
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
    });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const continued = new Promise<void>((resolve) => {
      socket.on('data', () => {
        if (received.startsWith('HTTP/1.1 100')) resolve();
      });
    });
    // A keep-alive request that is in flight (dispatched, its body still to come) when shutdown starts.
    socket.write(requestText(accepted, ['Expect: 100-continue']));
    await continued;

    stopped = app.stop();
    // Its body, and right behind it on the same connection a second mutation.
    socket.write(accepted + requestText(late) + late);
    await closed;
    await stopped;

    const [first, second] = parseResponses(received);
    expect(first?.status).toBe(200);
    expect(first?.headers.connection).toBe('close');
    expect(JSON.parse(first?.body ?? '').data).toEqual({ createPark: { name: 'Accepted before shutdown' } });
    // The late one is refused with 503, or never read: either way it did not run.
    if (second) {
      expect(second.status).toBe(503);
      expect(second.headers.connection).toBe('close');
      expect(JSON.parse(second.body).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    }
    expect(await parksNamed(['Accepted before shutdown', 'Arrived during shutdown'])).toEqual(
      new Set(['Accepted before shutdown']),
    );
  });

  it('under keep-alive traffic, no mutation is both executed and unanswered', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    type Outcome = { name: string; status: number | 'no answer'; connection?: string; afterStop: boolean };
    const outcomes: Outcome[] = [];
    let answered = 0;
    let stopRequested: () => void = () => {};
    const enoughTraffic = new Promise<void>((resolve) => {
      stopRequested = resolve;
    });
    const send = (name: string) =>
      new Promise<Outcome>((resolve) => {
        const afterStop = stopped !== undefined;
        const body = JSON.stringify({ query: CREATE, variables: { name } });
        const req = request(
          {
            host: '127.0.0.1',
            port: app.port,
            path: '/graphql',
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          },
          (res) => {
            res.resume();
            res.on('end', () =>
              resolve({ name, status: res.statusCode ?? 0, connection: res.headers.connection, afterStop }),
            );
            res.on('error', () => resolve({ name, status: 'no answer', afterStop }));
          },
        );
        req.on('error', () => resolve({ name, status: 'no answer', afterStop }));
        req.end(body);
      });
    const writer = async (id: number) => {
      for (let n = 0; ; n++) {
        const outcome = await send(`Writer ${id} park ${n}`);
        outcomes.push(outcome);
        if (outcome.status === 200) answered++;
        if (answered >= 12) stopRequested();
        if (outcome.status !== 200) return;
      }
    };
    const writers = Promise.all([0, 1, 2, 3].map(writer));
    await enoughTraffic;
    stopped = app.stop();
    await writers;
    await stopped;
    agent.destroy();

    const executed = await parksNamed(outcomes.map((outcome) => outcome.name));
    for (const outcome of outcomes) {
      // The one thing that must never happen: a write done whose client did not hear of it.
      if (executed.has(outcome.name)) expect(outcome).toMatchObject({ status: 200 });
      else expect(outcome.status).not.toBe(200);
      if (outcome.status === 503) expect(outcome.connection).toBe('close');
    }
    expect(outcomes.filter((outcome) => outcome.status === 200).length).toBeGreaterThanOrEqual(12);
    // Every writer was still writing when the shutdown came, and each one stopped on it.
    expect(outcomes.filter((outcome) => outcome.status !== 200)).toHaveLength(4);
  });

  it('closes WebSocket connections with 1001 (going away)', async () => {
    const { client, closes } = wsClient(wsUrl(app.url), { connectionParams: { authorization: `Bearer ${token}` } });
    const outcome = await runOnce(client, { query: '{ viewer { user { email } } }' });
    expect(outcome.result?.data).toEqual({ viewer: { user: { email: 'alice@example.com' } } });
    stopped = app.stop();
    await stopped;
    expect(closes.map((close) => close.code)).toEqual([1001]);
    await client.dispose();
  });
});

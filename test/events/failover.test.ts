import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Client } from 'graphql-ws';
import { MongoClient, type ChangeStream, type Document } from 'mongodb';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { loadConfig } from '../../src/config.js';
import { newId } from '../../src/data/ids.js';
import { toGlobalId } from '../../src/modules/global-id.js';
import { startApp, type RunningApp } from '../../src/server/app.js';
import { startTestMongo, uniqueDbName, type TestMongo } from '../support/mongo.js';
import { encodeCursor } from '../../src/events/cursor.js';
import { CREATE_PARK, EXPORT_EVENTS, positionOf, published, tenantIdOf, type ExportEvent } from './support.js';
import { collect, wsClient, wsUrl } from '../support/graphql-ws.js';
import { until } from '../support/wait.js';

/*
 * The ordering design against the failure it must survive (docs/events.md): two instances on one
 * database writing the same tenant concurrently; the one that sequences events is killed with
 * SIGKILL while its writers are in the middle of their transactions, and another transaction is
 * abandoned half-way; the subscriber that was connected to it resumes from its last cursor on the
 * survivor. Every acknowledged change must have exactly one event, all events at consecutive
 * positions in the order the changes committed (as the database's own oplog records it), and
 * nothing of what never committed.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LEASE_MS = '1000';

let mongo: TestMongo;
let dbName: string;
let dataDir: string;
let raw: MongoClient;
let doomed: ChildProcess | undefined;
let survivor: RunningApp | undefined;
let token: string;
let oplog: ChangeStream | undefined;
const clients: Client[] = [];

/** A server instance as a child process (a real process to kill); resolves with its URL once listening. */
async function spawnInstance(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=development', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      MONGODB_URI: mongo.uri,
      MONGODB_DB: dbName,
      DATA_DIR: dataDir,
      SEED: 'true',
      LOG_LEVEL: 'info',
      EVENT_SEQUENCER_LEASE_MS: LEASE_MS,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the child instance did not start')), 30_000);
    child.once('exit', (code) => reject(new Error(`the child instance exited with ${code}`)));
    // The start-up log line names the address, whether logs are JSON lines or pretty-printed.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const url = /(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(line)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      resolve(url);
    });
  });
  return { child, url };
}

async function createPark(url: string, name: string): Promise<string> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: CREATE_PARK, variables: { input: { name } } }),
  });
  const body = (await response.json()) as { data?: { createPark: { id: string } }; errors?: unknown };
  if (!body.data) throw new Error(`createPark failed: ${JSON.stringify(body.errors)}`);
  return body.data.createPark.id;
}

/** An exportEvents subscription of alice (texas), with every event it received. */
function subscribe(url: string, after?: string) {
  const { client } = wsClient(wsUrl(url), { connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(client);
  const stream = collect(
    client,
    { query: EXPORT_EVENTS, variables: { after: after ?? null } },
    (data) => (data as { exportEvents?: ExportEvent }).exportEvents,
  );
  return { events: stream.values, errors: stream.errors, failures: stream.failures };
}

/** Writes parks one after the other until `stop()`; what it acknowledged, in order. */
function writer(url: string, name: string) {
  const acknowledged: string[] = [];
  let stopped = false;
  let failed: unknown;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      try {
        acknowledged.push(await createPark(url, `${name} #${i}`));
      } catch (error) {
        failed = error; // its instance was killed: this one may or may not have committed
        return;
      }
    }
  })();
  return {
    acknowledged,
    failed: () => failed,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

beforeAll(async () => {
  mongo = await startTestMongo();
  dbName = uniqueDbName('failover');
  dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-failover-'));
  raw = await MongoClient.connect(mongo.uri);
  token = await (await loadOrCreateDevIssuer(dataDir)).sign(
    { subject: 'alice@example.com', email: 'alice@example.com' },
    600,
  );
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await oplog?.close();
  doomed?.kill('SIGKILL');
  await survivor?.stop();
  await raw?.close();
  await mongo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('two instances writing one tenant, the sequencing one killed mid-transaction', () => {
  it('every acknowledged change has exactly one event, in commit order, with no gap and no duplicate', async () => {
    // The database's own record of commit order: the outbox's change stream, from before any write.
    const outboxOrder: string[] = [];
    const state = raw.db(dbName).collection<Document>('eventSequencer');
    const first = await spawnInstance();
    doomed = first.child;
    let held: Document | null = null;
    await until(async () => {
      held = await state.findOne({ _id: 'events' as never });
      return typeof held?.owner === 'string';
    }, 'the first instance to start sequencing');
    oplog = raw
      .db(dbName)
      .collection('eventOutbox')
      .watch([{ $match: { operationType: 'insert' } }], { startAtOperationTime: (held as Document | null)?.startAt });
    oplog.on('change', (change: Document) => {
      if (change.fullDocument?.tenantId === tenantIdOf('texas')) outboxOrder.push(change.fullDocument.subject);
    });

    survivor = await startApp(
      loadConfig({
        PORT: '0',
        MONGODB_URI: mongo.uri,
        MONGODB_DB: dbName,
        DATA_DIR: dataDir,
        SEED: 'false',
        LOG_LEVEL: 'silent',
        EVENT_SEQUENCER_LEASE_MS: LEASE_MS,
      }),
      pino({ level: 'silent' }),
    );
    expect(survivor.services.exportFeed.sequencing).toBe(false);

    // A subscriber on the instance to be killed, from the cursor of a mark: it misses nothing after it.
    const mark = await createPark(survivor.url, 'Mark');
    await published({ app: survivor }, tenantIdOf('texas'));
    const markEvent = await raw
      .db(dbName)
      .collection<{ _id: string; subject: string; position: number }>('events')
      .findOne({ subject: mark });
    const onDoomed = subscribe(
      first.url,
      encodeCursor({ tenantId: tenantIdOf('texas'), position: markEvent!.position }),
    );

    const writers = [
      writer(first.url, 'doomed A'),
      writer(first.url, 'doomed B'),
      writer(survivor.url, 'survivor A'),
      writer(survivor.url, 'survivor B'),
    ];
    await until(() => writers.every((w) => w.acknowledged.length >= 5), 'writes on both instances');

    // A transaction of the killed instance's kind, cut short after its change and its staged event.
    const abandoned = await MongoClient.connect(mongo.uri);
    const session = abandoned.startSession();
    session.startTransaction();
    const halfParkId = newId();
    await abandoned
      .db(dbName)
      .collection<Document>('parks')
      .insertOne({ _id: halfParkId as never, tenantId: tenantIdOf('texas'), name: 'Never committed' }, { session });
    await abandoned
      .db(dbName)
      .collection<Document>('eventOutbox')
      .insertOne(
        {
          _id: newId() as never,
          tenantId: tenantIdOf('texas'),
          type: 'park.created',
          subject: 'never committed',
          time: new Date(),
          data: {},
        },
        { session },
      );
    first.child.kill('SIGKILL');
    await abandoned.close(true);
    await Promise.all(writers.slice(0, 2).map((w) => w.stop()));
    expect(writers.slice(0, 2).every((w) => w.failed() !== undefined)).toBe(true);

    // The survivor goes on writing; it takes the lease over once it expired.
    const survivorWritesBefore = writers[2]!.acknowledged.length;
    await until(() => survivor!.services.exportFeed.sequencing, 'the survivor to take the lease over', 15_000);
    await until(() => writers[2]!.acknowledged.length >= survivorWritesBefore + 5, 'more writes');
    await Promise.all(writers.slice(2).map((w) => w.stop()));

    // The subscriber resumes on the survivor from the last cursor it got.
    const last = onDoomed.events.at(-1)!;
    const resumed = subscribe(survivor.url, last.cursor);
    const acknowledged = writers.flatMap((w) => w.acknowledged);
    const parks = await raw
      .db(dbName)
      .collection<{ _id: string; tenantId: string; name: string }>('parks')
      .find({ tenantId: tenantIdOf('texas'), name: { $regex: /^(doomed|survivor) / } })
      .toArray();
    const committed = parks.map((park) => park._id);
    const received = () => [...onDoomed.events, ...resumed.events];
    await until(
      () => received().filter((event) => event.type === 'park.created').length >= committed.length,
      'every committed park’s event',
      15_000,
    );

    const events = [...onDoomed.events, ...resumed.events];
    expect(onDoomed.errors).toEqual([]); // closed, not refused
    expect([...resumed.errors, ...resumed.failures]).toEqual([]);
    // No gap, no duplicate: consecutive positions across the resume.
    const positions = events.map((event) => positionOf(event.cursor));
    expect(positions).toEqual(positions.map((_, i) => positions[0]! + i));
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    // Exactly one event per committed change, every acknowledged one among them, nothing half-written.
    const subjects = received().map((event) => event.subject);
    expect(subjects).toHaveLength(committed.length);
    expect(new Set(subjects)).toEqual(new Set(committed.map((id) => toGlobalId('Park', id))));
    for (const id of acknowledged) expect(subjects).toContain(id);
    expect(parks.some((park) => park._id === halfParkId)).toBe(false);
    expect(subjects).not.toContain('never committed');
    // In commit order: the order in which the database committed the staged events, and so each
    // writer's own order.
    await until(() => outboxOrder.length >= committed.length + 1, 'the outbox stream');
    expect([mark, ...subjects]).toEqual(outboxOrder.slice(-(subjects.length + 1)));
    for (const w of writers) {
      const order = w.acknowledged.map((id) => subjects.indexOf(id));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  }, 90_000);
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import { pino } from 'pino';
import WebSocket from 'ws';
import { generateApiKey } from '../src/auth/api-key-secret.js';
import type { Role } from '../src/authz/roles.js';
import { newId } from '../src/data/ids.js';
import type { TenantDb } from '../src/data/tenant-db.js';
import { startEmbeddedMongo } from '@tenantgraph/embedded-mongo';
import { decodeCursor } from '../src/events/cursor.js';
import type { EventDocument } from '../src/events/event-document.js';
import { latestPosition, publishedPosition } from '../src/events/outbox.js';
import type { ApiKeyDocument } from '../src/auth/api-key-document.js';
import { seedId } from '../src/seed/seed.js';
import { buildForProduction, productionModules } from './bench-app.js';
import type { RunningApp } from '../src/server/app.js';
import type { MembershipDocument, TenantDocument } from '../src/tenancy/identity-documents.js';

/**
 * The export fan-out figures: SUBSCRIBERS exportEvents subscriptions (one WebSocket each) spread evenly
 * over TENANTS tenants, under a steady MUTATIONS_PER_SECOND of park mutations over HTTP (round-robin over
 * the tenants, so the full commit path with the outbox runs), against the same mutation rate with one
 * subscriber per tenant, measured first in the same run. Every delivery is accounted for against the events
 * stored in the database: the run throws if one is lost, duplicated, out of order or misrouted.
 *
 * Commit-to-delivery is measured from the event's `time`, set by recordEvent inside the mutation's
 * transaction just before it commits (ISO, millisecond-truncated), to its receipt by the subscriber:
 * an upper bound off by the commit round trip and under 1 ms of truncation. The mutation's HTTP
 * answer would be the wrong clock: it leaves after the commit and races the delivery (often losing),
 * so it would understate latency and could even come out negative.
 *
 * The subscribers and the mutation driver run in a child process (its own heap, event loop and file
 * descriptors: 10,000 client sockets and 10,000 server sockets would not fit one process's limit), so
 * that this process holds only the app and the embedded database: its heap growth per subscriber is
 * the server's cost of one, and its event loop is not also busy parsing 10,000 clients' frames.
 */
const TENANTS = 500;
const SUBSCRIBERS = 10_000;
/**
 * Fifty mutations a second over all tenants. Each costs this process (app + embedded database) about
 * 10 ms, so 50/s keeps it about half busy: latency then measures delivery rather than the queue of
 * a saturated server (at 100/s the baseline itself lags by hundreds of ms).
 */
const MUTATIONS_PER_SECOND = 50;
/** Long enough for every tenant to commit at least two changes (500 tenants, 50 mutations a second). */
const DURATION_SECONDS = 20;
const WARM_UP_SECONDS = 1;
/** Subscriptions opened concurrently while connecting the subscribers. */
const OPEN_BATCH = 100;
/** How long after the last mutation's answer every delivery must have arrived. */
const DRAIN_TIMEOUT_MS = 10_000;
const CLIENTS_ROLE = 'export-fanout-clients';

const SUBSCRIPTION = 'subscription { exportEvents { id type tenant subject time cursor data } }';
const CREATE_PARK = 'mutation($input: CreateParkInput!) { createPark(input: $input) { id } }';
const UPDATE_PARK = 'mutation($id: ID!, $input: UpdateParkInput!) { updatePark(id: $id, input: $input) { id } }';

interface TenantSpec {
  index: number;
  id: string;
  slug: string;
  integratorKey: string;
  editorKey: string;
  /** The park updatePark changes (created by the warm-up). */
  parkId: string;
}

/** What one subscriber received during a phase. */
interface Receipt {
  tenantIndex: number;
  ids: string[];
  positions: number[];
  /** Receipt time minus the event's `time`, per delivery. */
  latenciesMs: number[];
  /** Wall-clock time (ms, fractional) of the last delivery. */
  lastAt: number;
  /** Deliveries whose `tenant` or cursor named another tenant than the subscriber's. */
  misrouted: number;
  errors: string[];
}

interface MutateResult {
  startedAt: number;
  okByTenant: number[];
  failures: string[];
  roundTripsMs: number[];
}

type Request =
  | { op: 'open'; url: string; tenants: TenantSpec[]; perTenant: number }
  | { op: 'mutate'; url: string; tenants: TenantSpec[]; rate: number; count: number }
  | { op: 'drain'; expected: number[]; timeoutMs: number }
  | { op: 'heap' }
  | { op: 'close' };

type Reply = { id: number; result: unknown } | { id: number; error: string };

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across threads. */
const wall = (): number => performance.timeOrigin + performance.now();

/** A forced full GC: global.gc under --expose-gc, else the flag set now (as jest's leak detector does). */
function garbageCollector(): (() => void) | null {
  if (typeof globalThis.gc === 'function') return () => globalThis.gc?.();
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? () => (gc as () => void)() : null;
  } catch {
    return null;
  }
}

async function usedHeapAfterGc(gc: (() => void) | null): Promise<number> {
  if (gc) {
    gc();
    await sleep(50);
    gc();
  }
  return getHeapStatistics().used_heap_size;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function graphql(url: string, apiKey: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    data?: Record<string, { id: string }> | null;
    errors?: { message: string }[];
  };
  if (!response.ok || body.errors?.length || !body.data) {
    throw new Error(`HTTP ${response.status}: ${body.errors?.[0]?.message ?? 'no data'}`);
  }
  return body.data;
}

// ---------------------------------------------------------------------------------------------
// The child process: subscribers and the mutation driver.

interface Subscriber {
  tenant: TenantSpec;
  client: Client;
  receipt: Receipt;
}

const newReceipt = (tenantIndex: number): Receipt => ({
  tenantIndex,
  ids: [],
  positions: [],
  latenciesMs: [],
  lastAt: 0,
  misrouted: 0,
  errors: [],
});

interface ExportEventResult {
  data?: { exportEvents?: { id: string; tenant: string; time: string; cursor: string } } | null;
  errors?: readonly { message: string }[];
}

function serveClients(): void {
  let subscribers: Subscriber[] = [];
  let closing = false;
  const gc = garbageCollector();

  const openOne = (wsUrl: string, tenant: TenantSpec) =>
    new Promise<void>((resolve, reject) => {
      const subscriber: Subscriber = {
        tenant,
        receipt: newReceipt(tenant.index),
        client: createClient({
          url: wsUrl,
          webSocketImpl: WebSocket,
          lazy: false,
          retryAttempts: 0,
          connectionParams: { 'x-api-key': tenant.integratorKey },
          onNonLazyError: (error) => reject(error instanceof Error ? error : new Error(String(error))),
          on: {
            connected: () => resolve(),
            closed: (event) => {
              if (closing) return;
              const code = (event as { code?: number } | undefined)?.code;
              subscriber.receipt.errors.push(`socket closed (${code ?? '?'})`);
              reject(new Error(`socket closed (${code ?? '?'}) while opening`));
            },
          },
        }),
      };
      subscribers.push(subscriber);
      subscriber.client.subscribe<NonNullable<ExportEventResult['data']>>(
        { query: SUBSCRIPTION },
        {
          next: (result: ExportEventResult) => {
            const receivedAt = wall();
            const { receipt } = subscriber;
            const event = result.data?.exportEvents;
            if (result.errors?.length || !event) {
              receipt.errors.push(result.errors?.[0]?.message ?? 'a payload without an event');
              return;
            }
            const cursor = decodeCursor(event.cursor);
            if (event.tenant !== tenant.slug || cursor?.tenantId !== tenant.id) receipt.misrouted += 1;
            receipt.ids.push(event.id);
            receipt.positions.push(cursor?.position ?? -1);
            // `time` is written inside the mutation's transaction, right before it commits.
            receipt.latenciesMs.push(receivedAt - Date.parse(event.time));
            receipt.lastAt = receivedAt;
          },
          error: (error: unknown) => {
            if (!closing) subscriber.receipt.errors.push(`subscription error: ${JSON.stringify(error)}`);
          },
          complete: () => {
            if (!closing) subscriber.receipt.errors.push('subscription completed by the server');
          },
        },
      );
    });

  async function open(url: string, tenants: TenantSpec[], perTenant: number): Promise<number> {
    closing = false;
    const wsUrl = `${url.replace(/^http/, 'ws')}/graphql`;
    // Interleaved by tenant, so every batch spreads over all tenants.
    const order = Array.from({ length: perTenant }, () => tenants).flat();
    const started = wall();
    for (let i = 0; i < order.length; i += OPEN_BATCH) {
      await Promise.all(order.slice(i, i + OPEN_BATCH).map((tenant) => openOne(wsUrl, tenant)));
    }
    return wall() - started;
  }

  /** A steady, open-loop rate: mutation i is sent at start + i/rate whether or not earlier ones answered. */
  async function mutate(url: string, tenants: TenantSpec[], rate: number, count: number): Promise<MutateResult> {
    const okByTenant = tenants.map(() => 0);
    const failures: string[] = [];
    const roundTripsMs: number[] = [];
    const send = async (i: number) => {
      const tenant = tenants[i % tenants.length]!;
      const round = Math.floor(i / tenants.length);
      const sentAt = wall();
      try {
        if (round % 2 === 0) {
          await graphql(url, tenant.editorKey, UPDATE_PARK, { id: tenant.parkId, input: { capacity: round } });
        } else {
          await graphql(url, tenant.editorKey, CREATE_PARK, {
            input: { name: `Fan-out ${tenant.slug} ${round}`, capacity: round },
          });
        }
        okByTenant[tenant.index]! += 1;
        roundTripsMs.push(wall() - sentAt);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    };
    const inFlight: Promise<void>[] = [];
    const startedAt = wall();
    for (let i = 0; i < count; i += 1) {
      const wait = startedAt + (i * 1000) / rate - wall();
      if (wait > 0) await sleep(wait);
      inFlight.push(send(i));
    }
    await Promise.all(inFlight);
    return { startedAt, okByTenant, failures, roundTripsMs };
  }

  async function drain(expected: number[], timeoutMs: number): Promise<Receipt[]> {
    const deadline = Date.now() + timeoutMs;
    const behind = () => subscribers.some((s) => s.receipt.ids.length < expected[s.tenant.index]!);
    while (behind() && Date.now() < deadline) await sleep(10);
    // A little longer, so that a duplicate or stray delivery right behind the last one is caught too.
    await sleep(200);
    const receipts = subscribers.map((s) => s.receipt);
    for (const s of subscribers) s.receipt = newReceipt(s.tenant.index);
    return receipts;
  }

  async function close(): Promise<void> {
    closing = true;
    const closed = subscribers;
    subscribers = [];
    await Promise.all(closed.map((s) => s.client.dispose()));
  }

  async function handle(request: Request): Promise<unknown> {
    switch (request.op) {
      case 'open':
        return open(request.url, request.tenants, request.perTenant);
      case 'mutate':
        return mutate(request.url, request.tenants, request.rate, request.count);
      case 'drain':
        return drain(request.expected, request.timeoutMs);
      case 'heap':
        return usedHeapAfterGc(gc);
      case 'close':
        return close();
    }
  }

  process.on('message', ({ id, request }: { id: number; request: Request }) => {
    handle(request).then(
      (result) => process.send?.({ id, result } satisfies Reply),
      (error: unknown) =>
        process.send?.({ id, error: error instanceof Error ? error.message : String(error) } satisfies Reply),
    );
  });
}

if (process.env.BENCH_ROLE === CLIENTS_ROLE && process.send) serveClients();

// ---------------------------------------------------------------------------------------------
// The parent process: the app, the embedded database, the phases and the accounting.

class ClientsWorker {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #next = 0;

  constructor() {
    // The child runs this very module under tsx, as `npm run bench` runs this process.
    this.#child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ['--import', 'tsx', '--conditions=development'],
      env: { ...process.env, BENCH_ROLE: CLIENTS_ROLE },
    });
    this.#child.on('message', (reply: Reply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if ('error' in reply) pending?.reject(new Error(`clients process: ${reply.error}`));
      else pending?.resolve(reply.result);
    });
    this.#child.on('exit', (code) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`clients process exited (${code})`));
      this.#pending.clear();
    });
  }

  call<T>(request: Request): Promise<T> {
    this.#next += 1;
    const id = this.#next;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#child.send({ id, request });
    });
  }

  async terminate(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill();
    await exited;
  }
}

/** The demo user (alice) who creates every bench key, as a member holding ADMIN in each bench tenant. */
const KEY_GRANTOR = seedId('user:alice@example.com');

async function createTenants(app: RunningApp, url: string): Promise<TenantSpec[]> {
  const { database } = app.services;
  const now = new Date();
  const key = async (tenantId: string, name: string, role: Role): Promise<string> => {
    const generated = generateApiKey();
    await database
      .forTenant(tenantId)
      .collection<ApiKeyDocument>('apiKeys')
      .insertOne({
        _id: generated.keyId,
        name,
        roles: [role],
        secretHash: generated.secretHash,
        createdAt: now,
        createdBy: { kind: 'user', id: KEY_GRANTOR },
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: null,
      });
    return generated.secret;
  };
  const tenants: TenantSpec[] = [];
  for (let index = 0; index < TENANTS; index += 1) {
    const id = newId();
    const slug = `fanout-${index}`;
    await database.platform
      .collection<TenantDocument>('tenants')
      .insertOne({ _id: id, slug, name: `Fan-out ${index}`, createdAt: now });
    // A key acts with no more than its creating member still holds: alice, ADMIN here, grants both keys.
    await database.platform
      .collection<MembershipDocument>('memberships')
      .insertOne({ userId: KEY_GRANTOR, tenantId: id, roles: ['ADMIN'], updatedAt: now });
    const integratorKey = await key(id, 'fan-out subscriber', 'INTEGRATOR');
    const editorKey = await key(id, 'fan-out writer', 'EDITOR');
    tenants.push({ index, id, slug, integratorKey, editorKey, parkId: '' });
  }
  // The park each tenant's updatePark mutations change; also the first use of every editor key
  // (which records its lastUsedAt) and a first pass over the mutation path, before any measurement.
  await Promise.all(
    tenants.map(async (tenant) => {
      const data = await graphql(url, tenant.editorKey, CREATE_PARK, {
        input: { name: `Fan-out ${tenant.slug}`, capacity: 0 },
      });
      tenant.parkId = data.createPark!.id;
    }),
  );
  return tenants;
}

/** Resolves once every event the tenant committed so far has its position. */
async function allPublished(db: TenantDb, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await publishedPosition(db)) < (await latestPosition(db))) {
    if (Date.now() > deadline) throw new Error(`events of ${db.tenantId} not published in time`);
    await sleep(10);
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Accounting {
  events: number;
  expected: number;
  received: number;
  misrouted: number;
  duplicates: number;
  missing: number;
  unexpected: number;
  outOfOrder: number;
  errors: string[];
}

interface PhaseResult {
  subscribers: number;
  openMs: number;
  /** Growth of the server's (this process's) heap, the clients' heap and the process RSS with the subscribers open. */
  memory: { serverHeap: number; clientHeap: number; rss: number };
  deliveredPerSecond: number;
  latencyMs: { p50: number; p99: number };
  roundTripMs: { p50: number; p99: number };
  /** This process's event-loop utilisation while the mutations ran: how busy the server was. */
  serverBusy: number;
  accounting: Accounting;
}

async function phase(
  app: RunningApp,
  clients: ClientsWorker,
  tenants: TenantSpec[],
  perTenant: number,
  seconds: number,
  gc: (() => void) | null,
): Promise<PhaseResult> {
  const { database, exportFeed } = app.services;
  const subscribers = perTenant * tenants.length;

  const serverBefore = await usedHeapAfterGc(gc);
  const clientBefore = await clients.call<number>({ op: 'heap' });
  const rssBefore = process.memoryUsage().rss;
  const openMs = await clients.call<number>({ op: 'open', url: app.url, tenants, perTenant });
  await waitFor('the subscriptions to start', () => exportFeed.subscribers() === subscribers);
  await sleep(300);
  const serverAfter = await usedHeapAfterGc(gc);
  const clientAfter = await clients.call<number>({ op: 'heap' });
  const rssAfter = process.memoryUsage().rss;

  // Nothing is committed between here and the first mutation, so the subscriptions start right after these.
  const start = await Promise.all(tenants.map((t) => latestPosition(database.forTenant(t.id))));
  const count = MUTATIONS_PER_SECOND * seconds;
  const busyBefore = performance.eventLoopUtilization();
  const mutated = await clients.call<MutateResult>({
    op: 'mutate',
    url: app.url,
    tenants,
    rate: MUTATIONS_PER_SECOND,
    count,
  });
  const busy = performance.eventLoopUtilization(busyBefore).utilization;
  // The sequencer gives committed events their positions just after commit: count them once published.
  await Promise.all(tenants.map((t) => allPublished(database.forTenant(t.id))));
  const stored = await Promise.all(
    tenants.map((t) =>
      database
        .forTenant(t.id)
        .collection<EventDocument>('events')
        .find({ position: { $gt: start[t.index]! } }, { sort: { position: 1 } }),
    ),
  );
  const receipts = await clients.call<Receipt[]>({
    op: 'drain',
    expected: stored.map((events) => events.length),
    timeoutMs: DRAIN_TIMEOUT_MS,
  });
  await clients.call({ op: 'close' });
  await waitFor('the subscriptions to end', () => exportFeed.subscribers() === 0);

  const accounting: Accounting = {
    events: stored.reduce((sum, events) => sum + events.length, 0),
    expected: 0,
    received: 0,
    misrouted: 0,
    duplicates: 0,
    missing: 0,
    unexpected: 0,
    outOfOrder: 0,
    errors: [...mutated.failures.map((failure) => `mutation failed: ${failure}`)],
  };
  if (receipts.length !== subscribers)
    accounting.errors.push(`${receipts.length} subscribers reported, ${subscribers} opened`);
  for (const tenant of tenants) {
    const ok = mutated.okByTenant[tenant.index]!;
    const events = stored[tenant.index]!.length;
    if (ok !== events) accounting.errors.push(`${tenant.slug}: ${ok} mutations committed but ${events} events stored`);
  }
  const latencies: number[] = [];
  let lastAt = mutated.startedAt;
  for (const receipt of receipts) {
    const wanted = new Set(stored[receipt.tenantIndex]!.map((event) => event._id));
    const seen = new Set<string>();
    accounting.expected += wanted.size;
    accounting.received += receipt.ids.length;
    accounting.misrouted += receipt.misrouted;
    for (const id of receipt.ids) {
      if (seen.has(id)) accounting.duplicates += 1;
      else if (!wanted.has(id)) accounting.unexpected += 1;
      seen.add(id);
    }
    for (const id of wanted) if (!seen.has(id)) accounting.missing += 1;
    for (let i = 1; i < receipt.positions.length; i += 1) {
      if (receipt.positions[i]! !== receipt.positions[i - 1]! + 1) accounting.outOfOrder += 1;
    }
    accounting.errors.push(...receipt.errors);
    latencies.push(...receipt.latenciesMs);
    lastAt = Math.max(lastAt, receipt.lastAt);
  }
  latencies.sort((a, b) => a - b);
  const roundTrips = [...mutated.roundTripsMs].sort((a, b) => a - b);
  return {
    subscribers,
    openMs,
    memory: {
      serverHeap: serverAfter - serverBefore,
      clientHeap: clientAfter - clientBefore,
      rss: rssAfter - rssBefore,
    },
    deliveredPerSecond: accounting.received / ((lastAt - mutated.startedAt) / 1000),
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    roundTripMs: { p50: percentile(roundTrips, 50), p99: percentile(roundTrips, 99) },
    serverBusy: busy,
    accounting,
  };
}

function assertAccounted(name: string, a: Accounting): void {
  const wrong =
    a.received !== a.expected ||
    a.misrouted + a.duplicates + a.missing + a.unexpected + a.outOfOrder + a.errors.length > 0;
  if (wrong) {
    throw new Error(
      `export fan-out (${name}): ${a.expected} deliveries expected, ${a.received} received; ${a.misrouted} to the wrong tenant, ` +
        `${a.duplicates} duplicates, ${a.missing} missing, ${a.unexpected} unexpected, ${a.outOfOrder} out of order; ` +
        `${a.errors.length} errors${a.errors.length > 0 ? ` (first: ${a.errors[0]})` : ''}`,
    );
  }
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);
const count = (value: number) => value.toLocaleString('en-US');
const kib = (bytes: number, subscribers: number) => `${fixed(bytes / subscribers / 1024, 1)} KiB`;

export async function run(): Promise<void> {
  await buildForProduction();
  const { startApp, loadConfig } = await productionModules();
  const gc = garbageCollector();
  const mongo = await startEmbeddedMongo();
  const dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-bench-'));
  let app: RunningApp | undefined;
  let clients: ClientsWorker | undefined;
  try {
    const config = loadConfig({
      PORT: '0',
      MONGODB_URI: mongo.uri,
      DATA_DIR: dataDir,
      SEED: 'true',
      LOG_LEVEL: 'silent',
    });
    app = await startApp(config, pino({ level: 'silent' }));
    const tenants = await createTenants(app, app.url);
    clients = new ClientsWorker();

    // Unreported: JIT warm-up of both sides, so that the baseline is not measured on colder code than the fan-out.
    const warmUp = await phase(app, clients, tenants, 1, WARM_UP_SECONDS, gc);
    assertAccounted('warm-up', warmUp.accounting);
    const baseline = await phase(app, clients, tenants, 1, DURATION_SECONDS, gc);
    assertAccounted('baseline', baseline.accounting);
    const fanout = await phase(app, clients, tenants, SUBSCRIBERS / TENANTS, DURATION_SECONDS, gc);
    assertAccounted('fan-out', fanout.accounting);

    const b = baseline;
    const f = fanout;
    const a = f.accounting;
    console.log(
      `export fan-out: ${count(SUBSCRIBERS)} subscribers over ${TENANTS} tenants (${SUBSCRIBERS / TENANTS} each) ` +
        `vs ${TENANTS} (1 each), ${MUTATIONS_PER_SECOND} mutations/s for ${DURATION_SECONDS} s in both; ` +
        'compiled app and embedded database in one process, clients in another',
    );
    console.log(
      `  delivered events/s fan-out/baseline: ${fixed(f.deliveredPerSecond / b.deliveredPerSecond)}x ` +
        `(ideal ${SUBSCRIBERS / TENANTS}x: ${count(Math.round(f.deliveredPerSecond))}/s vs ${count(Math.round(b.deliveredPerSecond))}/s)`,
    );
    console.log(
      `  commit-to-delivery p50 fan-out/baseline: ${fixed(f.latencyMs.p50 / b.latencyMs.p50)}x ` +
        `(${fixed(f.latencyMs.p50, 1)} ms vs ${fixed(b.latencyMs.p50, 1)} ms)`,
    );
    console.log(
      `  commit-to-delivery p99 fan-out/baseline: ${fixed(f.latencyMs.p99 / b.latencyMs.p99)}x ` +
        `(${fixed(f.latencyMs.p99, 1)} ms vs ${fixed(b.latencyMs.p99, 1)} ms; goal ≤ 100 ms)`,
    );
    console.log(
      `  mutation round trip p50 / p99 fan-out/baseline: ${fixed(f.roundTripMs.p50 / b.roundTripMs.p50)}x / ` +
        `${fixed(f.roundTripMs.p99 / b.roundTripMs.p99)}x`,
    );
    console.log(
      `  server event loop busy fan-out/baseline: ${fixed(f.serverBusy / b.serverBusy)}x ` +
        `(${fixed(f.serverBusy * 100, 0)}% vs ${fixed(b.serverBusy * 100, 0)}% of one core for the app and the embedded database)`,
    );
    console.log(
      `  memory per subscriber: server heap ${kib(f.memory.serverHeap, f.subscribers)}, ` +
        `server RSS ${kib(f.memory.rss, f.subscribers)} (goal ≤ 20 KiB), client heap ${kib(f.memory.clientHeap, f.subscribers)} ` +
        `(${gc ? 'after a forced GC' : 'approximate: no GC could be forced'}); ` +
        `${count(Math.round(f.subscribers / (f.openMs / 1000)))} subscriptions opened/s`,
    );
    console.log(
      `  accounting: ${count(a.events)} events × their tenant's subscribers = ${count(a.expected)} deliveries expected, ` +
        `${count(a.received)} received; ${a.misrouted} to the wrong tenant, ${a.duplicates} duplicates, ` +
        `${a.missing} missing, ${a.outOfOrder} out of order (baseline: ${count(b.accounting.expected)} expected, ` +
        `${count(b.accounting.received)} received, all checks 0)`,
    );
  } finally {
    await clients?.call({ op: 'close' }).catch(() => undefined);
    await clients?.terminate();
    await app?.stop();
    await mongo.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

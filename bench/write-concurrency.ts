import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { newId } from '../src/data/ids.js';
import { decodeCursor } from '../src/events/cursor.js';
import type { RunningApp } from '../src/server/app.js';
import { seedId } from '../src/seed/seed.js';
import type { MembershipDocument, TenantDocument } from '../src/tenancy/identity-documents.js';
import { startBenchApp } from './bench-app.js';

/**
 * Issue 12's write-concurrency figure: N writers in ONE tenant against the same N writers spread
 * over N tenants (one each), measured one after the other in the same run, for N = 3 and 12. Each
 * writer runs `createPark` over HTTP back to back for the measured time (a closed loop, so a writer
 * that waits on a conflict writes less); each layout runs twice, in the order spread, one, one, spread. The figures are the one-tenant run's throughput and p99
 * latency divided by the spread run's: the goal is ≥ 0.9x throughput and ≤ 1.5x p99.
 *
 * Every event is accounted for: a subscriber of each tenant (graphql-ws) must receive
 * exactly one event per acknowledged mutation, nothing else, at consecutive positions, and each
 * writer's parks in the order the writer created them (a later mutation of one writer commits after
 * the earlier one returned, so commit order demands it). The run throws otherwise.
 */
const WRITER_COUNTS = [3, 12];
const MEASURE_MS = 3000;
const WARM_UP_MS = 1000;
const DRAIN_TIMEOUT_MS = 15_000;

const CREATE_PARK = 'mutation($input: CreateParkInput!) { createPark(input: $input) { id } }';
const SUBSCRIPTION = 'subscription { exportEvents { type subject tenant cursor } }';

interface Tenant {
  id: string;
  slug: string;
}

interface Received {
  subject: string;
  position: number;
}

interface Subscriber {
  events: Received[];
  errors: string[];
  client: Client;
}

interface RunResult {
  mutations: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A tenant of its own in which the bench's user (alice, from the demo data) is ADMIN: she writes and subscribes. */
async function createTenant(app: RunningApp, slug: string): Promise<Tenant> {
  const { database } = app.services;
  const id = newId();
  const now = new Date();
  await database.platform
    .collection<TenantDocument>('tenants')
    .insertOne({ _id: id, slug, name: `Writers ${slug}`, createdAt: now });
  await database.platform
    .collection<MembershipDocument>('memberships')
    .insertOne({ userId: seedId('user:alice@example.com'), tenantId: id, roles: ['ADMIN'], updatedAt: now });
  return { id, slug };
}

/** alice's dev token, as startBenchApp signs it. */
let token = '';

async function createPark(url: string, tenant: Tenant, name: string): Promise<string> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-tenant-id': tenant.slug },
    body: JSON.stringify({ query: CREATE_PARK, variables: { input: { name } } }),
  });
  const body = (await response.json()) as { data?: { createPark: { id: string } } | null; errors?: unknown[] };
  if (!body.data?.createPark) throw new Error(`createPark failed: ${JSON.stringify(body.errors)}`);
  return body.data.createPark.id;
}

async function subscribe(app: RunningApp, tenant: Tenant): Promise<Subscriber> {
  const { exportFeed } = app.services;
  const started = exportFeed.started(tenant.id);
  const subscriber: Subscriber = {
    events: [],
    errors: [],
    client: createClient({
      url: `${app.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}`, 'x-tenant-id': tenant.slug },
    }),
  };
  subscriber.client.subscribe<{ exportEvents: { subject: string; tenant: string; cursor: string } }>(
    { query: SUBSCRIPTION },
    {
      next: ({ data, errors }) => {
        if (errors) subscriber.errors.push(JSON.stringify(errors));
        const event = data?.exportEvents;
        if (!event) return;
        const cursor = decodeCursor(event.cursor);
        if (event.tenant !== tenant.slug || cursor?.tenantId !== tenant.id) subscriber.errors.push('misrouted event');
        subscriber.events.push({ subject: event.subject, position: cursor?.position ?? Number.NaN });
      },
      error: (error) => subscriber.errors.push(String(error)),
      complete: () => {},
    },
  );
  await until('the subscription to start', () => exportFeed.started(tenant.id) > started);
  return subscriber;
}

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs one writer per entry of `writerTenants` for `ms`; returns each writer's acknowledged parks, in order. */
async function write(
  app: RunningApp,
  writerTenants: readonly Tenant[],
  ms: number,
  latencies: number[],
): Promise<string[][]> {
  const end = performance.now() + ms;
  return Promise.all(
    writerTenants.map(async (tenant, writer) => {
      const created: string[] = [];
      while (performance.now() < end) {
        const started = performance.now();
        created.push(await createPark(app.url, tenant, `w${writer} #${created.length}`));
        latencies.push(performance.now() - started);
      }
      return created;
    }),
  );
}

/** Checks that each subscriber got exactly its tenant's acknowledged parks, consecutively, in each writer's order. */
async function account(
  tenants: readonly Tenant[],
  subscribers: readonly Subscriber[],
  writerTenants: readonly Tenant[],
  created: readonly string[][],
): Promise<void> {
  for (const [index, tenant] of tenants.entries()) {
    const subscriber = subscribers[index]!;
    const expected = created.filter((_, writer) => writerTenants[writer] === tenant).flat();
    await until(
      `${tenant.slug}'s ${expected.length} events`,
      () => subscriber.events.length >= expected.length || subscriber.errors.length > 0,
      DRAIN_TIMEOUT_MS,
    );
    if (subscriber.errors.length > 0) throw new Error(`${tenant.slug}: ${subscriber.errors.join('; ')}`);
    const positions = subscriber.events.map((event) => event.position);
    const first = positions[0] ?? 0;
    if (positions.some((position, i) => position !== first + i))
      throw new Error(`${tenant.slug}: positions not consecutive`);
    const subjects = subscriber.events.map((event) => event.subject);
    if (new Set(subjects).size !== subjects.length) throw new Error(`${tenant.slug}: an event was delivered twice`);
    const at = new Map(subjects.map((subject, i) => [subject, i]));
    const missing = expected.filter((subject) => !at.has(subject));
    if (missing.length > 0 || subjects.length !== expected.length)
      throw new Error(`${tenant.slug}: ${missing.length} missing, ${subjects.length - expected.length} unexpected`);
    for (const [writer, parks] of created.entries()) {
      if (writerTenants[writer] !== tenant) continue;
      const order = parks.map((park) => at.get(park)!);
      if (order.some((value, i) => i > 0 && value < order[i - 1]!))
        throw new Error(`${tenant.slug}: writer ${writer}'s events out of its commit order`);
    }
  }
}

/** One measured run: subscribers first, then the writers; every delivery accounted for before it returns. */
async function measure(
  app: RunningApp,
  tenants: readonly Tenant[],
  writerTenants: readonly Tenant[],
  latencies: number[],
): Promise<number> {
  const subscribers = await Promise.all(tenants.map((tenant) => subscribe(app, tenant)));
  try {
    const started = performance.now();
    const created = await write(app, writerTenants, MEASURE_MS, latencies);
    const seconds = (performance.now() - started) / 1000;
    await account(tenants, subscribers, writerTenants, created);
    return seconds;
  } finally {
    await Promise.all(subscribers.map((subscriber) => subscriber.client.dispose()));
  }
}

/** The runs of one layout, pooled: mutations per second over their total time, latency percentiles over all. */
function summary(latencies: number[], seconds: number): RunResult {
  latencies.sort((a, b) => a - b);
  return {
    mutations: latencies.length,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

export async function run(): Promise<void> {
  const bench = await startBenchApp();
  token = bench.token;
  try {
    const { app } = bench;
    const warmUp = await Promise.all([0, 1, 2].map((i) => createTenant(app, `warm-${i}`)));
    await write(app, warmUp, WARM_UP_MS, []);
    console.log(
      `N writers in one tenant ÷ the same N writers over N tenants (createPark over HTTP, ${MEASURE_MS / 1000} s each; goal: throughput ≥ 0.9x, p99 ≤ 1.5x)`,
    );
    for (const writers of WRITER_COUNTS) {
      const spreadTenants = await Promise.all(
        Array.from({ length: writers }, (_, i) => createTenant(app, `spread-${writers}-${i}`)),
      );
      const hot = await createTenant(app, `one-${writers}`);
      const hotWriters = spreadTenants.map(() => hot);
      // Spread, one, one, spread: a drift of the machine's speed during the runs weighs on both alike.
      const latencies = { spread: [] as number[], one: [] as number[] };
      let spreadSeconds = await measure(app, spreadTenants, spreadTenants, latencies.spread);
      let oneSeconds = await measure(app, [hot], hotWriters, latencies.one);
      oneSeconds += await measure(app, [hot], hotWriters, latencies.one);
      spreadSeconds += await measure(app, spreadTenants, spreadTenants, latencies.spread);
      const spread = summary(latencies.spread, spreadSeconds);
      const one = summary(latencies.one, oneSeconds);
      console.log(
        `  N=${writers}: spread ${fixed(spread.perSecond)}/s p50 ${fixed(spread.p50)} ms p99 ${fixed(spread.p99)} ms; ` +
          `one tenant ${fixed(one.perSecond)}/s p50 ${fixed(one.p50)} ms p99 ${fixed(one.p99)} ms → ` +
          `throughput ${fixed(one.perSecond / spread.perSecond, 2)}x, p99 ${fixed(one.p99 / spread.p99, 2)}x ` +
          `(${one.mutations + spread.mutations} events, each delivered once, in order)`,
      );
    }
  } finally {
    await bench.stop();
  }
}

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import type { Limits } from '../src/limits/limits.js';
import { seedId } from '../src/seed/seed.js';
import { addParks, startBenchApp } from './bench-app.js';

const SECONDS = 4;
/** A normal list query of the tenant that works (texas): a page of 20 parks. */
const NORMAL = JSON.stringify({ query: '{ parks(first: 20) { nodes { id name region } } }' });
/** The flooder's heavy query (washington, free plan): a full page of 100 parks, 101 points each. */
const HEAVY = JSON.stringify({ query: '{ parks(first: 100) { nodes { id name region capacity } } }' });
const FLOOD_CONNECTIONS = 32;

interface Load {
  rps: number;
  p99: number;
  statuses: Record<string, number>;
}

async function load(url: string, token: string, body: string, connections: number): Promise<Load> {
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  if (result.errors > 0) throw new Error(`${result.errors} connection errors`);
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    statuses: { '2xx': result['2xx'], '4xx': result['4xx'], '5xx': result['5xx'] },
  };
}

const AUTOCANNON = fileURLToPath(new URL('../node_modules/.bin/autocannon', import.meta.url));

/**
 * The flood, from a process of its own (autocannon's command line): its 32 connections' client work
 * must not run on the server's event loop, as it would from this process.
 */
async function floodFromAnotherProcess(url: string, token: string): Promise<Load> {
  const { stdout } = await promisify(execFile)(
    AUTOCANNON,
    [
      '-c',
      String(FLOOD_CONNECTIONS),
      '-d',
      // A second more than the measured load: the process starts first, and the flood covers it.
      String(SECONDS + 1),
      '-m',
      'POST',
      '-H',
      `authorization=Bearer ${token}`,
      '-H',
      'content-type=application/json',
      '-b',
      HEAVY,
      '-j',
      `${url}/graphql`,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const result = JSON.parse(stdout) as autocannon.Result;
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    statuses: { '2xx': result['2xx'], '4xx': result['4xx'], '5xx': result['5xx'] },
  };
}

/** The limits with every decision taken out: what the stack costs without them. */
function withoutLimits(limits: Limits): () => void {
  const { admit, finish, status } = limits;
  limits.admit = () => ({ requested: 0, ticket: null });
  limits.finish = () => 0;
  limits.status = () => null;
  return () => Object.assign(limits, { admit, finish, status });
}

/**
 * Two figures of the limits, through the full stack on one embedded database:
 * - noisy neighbour: texas's p99 for a normal list query while washington (free plan) floods with
 *   heavy queries from many connections, ÷ its p99 alone (goal ≤ 1.5x); the flooder's share of 429s;
 * - the limiter's own cost: requests/s of the normal query with the limits ÷ without them (goal ≥ 0.97x),
 *   interleaved twice so that warm-up and noise fall on both sides.
 * Default plans, except texas's bucket made large so that the measuring load itself is never limited.
 */
export async function run(): Promise<void> {
  const bench = await startBenchApp({
    PLANS: JSON.stringify({
      standard: { restoreRate: 1_000_000_000, bucketSize: 1_000_000_000, requestsInFlight: 100_000 },
    }),
  });
  const { app, token, issuer } = bench;
  await addParks(bench.texas, 20);
  await addParks(app.services.database.forTenant(seedId('tenant:washington')), 100);
  const flooder = await issuer.sign({ subject: 'bob@example.com', email: 'bob@example.com' }, 3600);
  const limits = app.services.limits;

  const alone: Load[] = [];
  const flooded: Array<{ victim: Load; flood: Load }> = [];
  const withLimits: Load[] = [];
  const without: Load[] = [];
  for (let round = 0; round < 2; round += 1) {
    alone.push(await load(app.url, token, NORMAL, 2));
    const [victim, flood] = await Promise.all([
      load(app.url, token, NORMAL, 2),
      floodFromAnotherProcess(app.url, flooder),
    ]);
    flooded.push({ victim, flood });
    withLimits.push(await load(app.url, token, NORMAL, 8));
    const restore = withoutLimits(limits);
    without.push(await load(app.url, token, NORMAL, 8));
    restore();
  }

  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const floodStatuses = flooded.map((entry) => entry.flood.statuses);
  const floodTotal = mean(floodStatuses.map((s) => s['2xx']! + s['4xx']! + s['5xx']!));
  const flood429 = mean(floodStatuses.map((s) => s['4xx']!));
  console.log('noisy neighbour: texas (standard) normal list query, 2 connections, alone and while washington (free)');
  console.log(`  floods with pages of 100 parks from ${FLOOD_CONNECTIONS} connections (another process, same 2 cores)`);
  console.log(
    `  p99 texas flooded / alone: ${(mean(flooded.map((f) => f.victim.p99)) / mean(alone.map((a) => a.p99))).toFixed(2)}x (goal ≤ 1.5x)`,
  );
  console.log(
    `  requests/s texas flooded / alone: ${(mean(flooded.map((f) => f.victim.rps)) / mean(alone.map((a) => a.rps))).toFixed(2)}x`,
  );
  console.log(`  flooder answers refused with 429: ${((100 * flood429) / Math.max(1, floodTotal)).toFixed(1)}%`);
  console.log(
    `  5xx answers: texas ${flooded.reduce((sum, f) => sum + f.victim.statuses['5xx']!, 0)}, flooder ${flooded.reduce((sum, f) => sum + f.flood.statuses['5xx']!, 0)}`,
  );
  console.log(
    'limiter cost: the same query, 8 connections, full stack with limits / with every limit decision taken out',
  );
  console.log(
    `  requests/s with / without: ${(mean(withLimits.map((l) => l.rps)) / mean(without.map((l) => l.rps))).toFixed(3)}x (goal ≥ 0.97x)`,
  );
  console.log(
    `  p99 with / without: ${(mean(withLimits.map((l) => l.p99)) / mean(without.map((l) => l.p99))).toFixed(2)}x`,
  );

  await bench.stop();
}

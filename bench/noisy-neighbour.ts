import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { Limits } from '../src/limits/limits.js';
import { seedId } from '../src/seed/seed.js';
import { addParks, startBenchApp } from './bench-app.js';

const SECONDS = 4;
const ROUNDS = 5;
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

const loadOf = (result: autocannon.Result): Load => ({
  rps: result.requests.average,
  p99: result.latency.p99,
  statuses: { '2xx': result['2xx'], '4xx': result['4xx'], '5xx': result['5xx'] },
});

async function load(url: string, token: string, body: string, connections: number, seconds = SECONDS): Promise<Load> {
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  if (result.errors > 0) throw new Error(`${result.errors} connection errors`);
  return loadOf(result);
}

const AUTOCANNON = fileURLToPath(new URL('../node_modules/.bin/autocannon', import.meta.url));

/**
 * The flood, from a process of its own (autocannon's command line): its 32 connections' client work
 * must not run on the server's event loop, as it would from this process. Resolves `started` once the
 * flood is under way (its first connection reached the server: the boot of the client's process is
 * not part of the flood), and `done` with its figures.
 */
function floodFromAnotherProcess(
  server: Server,
  url: string,
  token: string,
): { started: Promise<void>; done: Promise<Load> } {
  const child = spawn(AUTOCANNON, [
    '-c',
    String(FLOOD_CONNECTIONS),
    '-d',
    // A second more than the measured load, which starts once the flood has: the flood covers it.
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
  ]);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const done = once(child, 'close').then(([code]) => {
    if (code !== 0) throw new Error(`the flooding process exited with ${code}`);
    return loadOf(JSON.parse(stdout) as autocannon.Result);
  });
  const started = Promise.race([once(server, 'connection'), done]).then(() => undefined);
  return { started, done };
}

/**
 * The limits with every decision taken out: what the stack costs without them. An operation admitted
 * before (still executing when the swap happens) is finished by the limits that admitted it.
 */
function withoutLimits(limits: Limits): () => void {
  const { admit, turn, finish, status } = limits;
  limits.admit = () => ({ requested: 0, ticket: null });
  limits.turn = () => undefined;
  limits.finish = (operation, ...rest) => (operation.ticket ? finish.call(limits, operation, ...rest) : 0);
  limits.status = () => null;
  return () => Object.assign(limits, { admit, turn, finish, status });
}

/** CPU time of the whole machine, from /proc/stat (Linux): busy and total, in clock ticks. */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    return { busy: total - fields[3]! - fields[4]!, total };
  } catch {
    return null;
  }
}

interface Phase<T> {
  result: T;
  /** The server's event-loop delay, p99, ms. */
  loopDelayP99: number;
  /** CPU of the processes that are not this one (the flooder's, and anything else on the machine), in cores. */
  otherCores: number | null;
}

/**
 * Runs a phase while watching this process's event loop (the server's, and the measuring client's) and
 * what the rest of the machine takes from the cores: a phase slowed down by another program on the
 * machine shows it.
 */
async function phase<T>(run: () => Promise<T>): Promise<Phase<T>> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu = process.cpuUsage();
  const machine = machineTicks();
  const started = performance.now();
  const result = await run();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const after = machineTicks();
  delay.disable();
  const cores = machine && after ? ((after.busy - machine.busy) / (after.total - machine.total)) * coreCount() : null;
  return {
    result,
    loopDelayP99: delay.percentile(99) / 1e6,
    otherCores: cores === null ? null : Math.max(0, cores - (used.user + used.system) / 1000 / wallMs),
  };
}

const coreCount = (): number => {
  try {
    return readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((line) => /^cpu\d/.test(line)).length;
  } catch {
    return 1;
  }
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const fixed = (value: number | null, digits = 2) => (value === null ? '?' : value.toFixed(digits));

/**
 * Two figures of the limits, through the full stack on one embedded database, each a median over
 * ROUNDS rounds of ratios to a baseline measured in the same round, after a warm-up:
 * - noisy neighbour: texas's p99 for a normal list query while washington (free plan) floods with
 *   heavy queries from many connections, ÷ its p99 alone just before (goal ≤ 1.5x); the flooder's
 *   share of 429s. Each round's flood starts with washington's bucket full (the round lasts longer than
 *   the bucket takes to refill), so its burst is in every round;
 * - the limiter's own cost: requests/s of the normal query with the limits ÷ without them (goal ≥
 *   0.97x), the two measured back to back in alternating order.
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
  const withAndWithout = async (first: 'with' | 'without') => {
    const measure = async (limited: boolean) => {
      const restore = limited ? () => {} : withoutLimits(limits);
      const result = await load(app.url, token, NORMAL, 8);
      restore();
      return result;
    };
    const a = await measure(first === 'with');
    const b = await measure(first !== 'with');
    return first === 'with' ? { with: a, without: b } : { with: b, without: a };
  };

  await load(app.url, token, NORMAL, 8, 2);
  await withAndWithout('without');

  console.log('noisy neighbour: texas (standard) normal list query, 2 connections, alone and while washington (free)');
  console.log(`  floods with pages of 100 parks from ${FLOOD_CONNECTIONS} connections (another process, same cores);`);
  console.log('  per round: texas p99 alone, flooded (ms), their ratio; loop delay p99 (ms) and cores taken by other');
  console.log('  processes (the flooder included), alone → flooded; the flooder answers refused with 429');
  const p99Ratios: number[] = [];
  const rpsRatios: number[] = [];
  const costRatios: number[] = [];
  let refused = 0;
  let answered = 0;
  let errors5xx = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const alone = await phase(() => load(app.url, token, NORMAL, 2));
    const flooded = await phase(async () => {
      const flood = floodFromAnotherProcess(app.httpServer, app.url, flooder);
      await flood.started;
      const victim = await load(app.url, token, NORMAL, 2);
      return { victim, flood: await flood.done };
    });
    const { victim, flood } = flooded.result;
    p99Ratios.push(victim.p99 / alone.result.p99);
    rpsRatios.push(victim.rps / alone.result.rps);
    refused += flood.statuses['4xx']!;
    answered += flood.statuses['2xx']! + flood.statuses['4xx']! + flood.statuses['5xx']!;
    errors5xx += flood.statuses['5xx']! + victim.statuses['5xx']!;
    console.log(
      `  round ${round + 1}: ${alone.result.p99} → ${victim.p99} ms = ${p99Ratios.at(-1)!.toFixed(2)}x; loop delay ${fixed(alone.loopDelayP99)} → ${fixed(flooded.loopDelayP99)}; other cores ${fixed(alone.otherCores)} → ${fixed(flooded.otherCores)}; 429 ${flood.statuses['4xx']} of ${flood.statuses['2xx']! + flood.statuses['4xx']!}`,
    );
    const { with: limited, without } = await withAndWithout(round % 2 === 0 ? 'with' : 'without');
    costRatios.push(limited.rps / without.rps);
  }

  console.log(
    `  p99 texas flooded / alone, median of ${ROUNDS} rounds: ${median(p99Ratios).toFixed(2)}x (goal ≤ 1.5x)`,
  );
  console.log(`  requests/s texas flooded / alone, median: ${median(rpsRatios).toFixed(2)}x`);
  console.log(`  flooder answers refused with 429: ${((100 * refused) / Math.max(1, answered)).toFixed(1)}%`);
  console.log(`  5xx answers: ${errors5xx}`);
  console.log(
    'limiter cost: the same query, 8 connections, full stack with limits / with every limit decision taken out',
  );
  console.log(`  per round: ${costRatios.map((ratio) => ratio.toFixed(3)).join(', ')}`);
  console.log(
    `  requests/s with / without, median of ${ROUNDS} rounds: ${median(costRatios).toFixed(3)}x (goal ≥ 0.97x)`,
  );

  await bench.stop();
}

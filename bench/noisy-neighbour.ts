import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { seedId } from '../src/seed/seed.js';
import { addParks, buildForProduction, startBenchApp } from './bench-app.js';
import { type LimitsServer, startLimitsServer } from './limits-server.js';
import {
  type AlternatingSegment,
  type AlternatingTarget,
  alternatingLoad,
  latencyFromAnotherProcess,
  loadFromAnotherProcess,
} from './load-process.js';

/** Seconds of each phase of the noisy-neighbour figure (texas alone, texas flooded). */
const SECONDS = 4;
const ROUNDS = 5;
/**
 * The limiter's cost: pairs of segments with and without the limits, on two server processes started
 * afresh for each of PROCESS_ROUNDS rounds. Single pairs range about ±10% on a 2-core machine (a
 * garbage collection falls in one half of a pair), and two processes of the same code differ by up to
 * 3% for as long as they run (where the allocator and the compiler placed things): 64 pairs over 4
 * pairs of processes put the median within about ±2% (its 95% confidence interval is printed).
 */
const PAIRS = 64;
const PROCESS_ROUNDS = 4;
const SEGMENT_MS = 1500;
/** Each server process of the limiter's cost starts cold: its code is compiled and optimized under load first. */
const WARM_UP_MS = 6000;
/**
 * A normal list query of the tenant that works (texas): a page of 20 parks, its size in a variable as
 * a front end sends it (so that the cost of an operation with variables is measured too).
 */
const NORMAL = JSON.stringify({
  query: 'query Parks($first: Int) { parks(first: $first) { nodes { id name region } } }',
  variables: { first: 20 },
});
/** The flooder's heavy query (washington, free plan): a full page of 100 parks, 101 points each. */
const HEAVY = JSON.stringify({ query: '{ parks(first: 100) { nodes { id name region capacity } } }' });
const FLOOD_CONNECTIONS = 32;
/** The flood lasts longer than texas's measured load, which starts in a process of its own once the flood has. */
const FLOOD_SECONDS = SECONDS + 4;

const headersOf = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

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

const quantile = (sorted: number[], q: number): number => sorted[Math.round(q * (sorted.length - 1))]!;

/** Median, quartiles and extremes of a list of ratios. */
function spreadOf(values: number[]): { median: number; q1: number; q3: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: median(sorted),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    min: sorted[0]!,
    max: sorted.at(-1)!,
  };
}

/**
 * The 95% confidence interval of the median of `values`, from their order statistics (no assumption on
 * their distribution): the k-th smallest and the k-th largest, k = n/2 − 0.98·√n rounded down.
 */
function medianInterval(values: number[]): { low: number; high: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const k = Math.max(1, Math.floor(sorted.length / 2 - 0.98 * Math.sqrt(sorted.length)));
  return { low: sorted[k - 1]!, high: sorted[sorted.length - k]! };
}

const withInterval = (values: number[], digits: number): string => {
  const { low, high } = medianInterval(values);
  return `${described(values, digits)}; the median's 95% confidence interval ${low.toFixed(digits)}–${high.toFixed(digits)}`;
};

const described = (values: number[], digits: number): string => {
  const { median: middle, q1, q3, min, max } = spreadOf(values);
  return `${middle.toFixed(digits)}x (quartiles ${q1.toFixed(digits)}–${q3.toFixed(digits)}, range ${min.toFixed(digits)}–${max.toFixed(digits)})`;
};

/**
 * The noisy-neighbour figure: texas's p99 for a normal list query while washington (free plan) floods
 * with heavy queries from many connections, ÷ its p99 alone just before (goal ≤ 1.5x), a ratio per
 * round; the flooder's share of 429s. Both loads come from processes of their own, texas's timed to
 * the microsecond. Each flood starts with washington's bucket full, so its burst is in every round.
 */
async function noisyNeighbour(bench: Awaited<ReturnType<typeof startBenchApp>>, flooder: string): Promise<void> {
  const { app, token } = bench;
  const url = `${app.url}/graphql`;
  const texasLoad = () =>
    latencyFromAnotherProcess({ url, headers: headersOf(token), body: NORMAL, connections: 2, seconds: SECONDS });
  const washington = { tenantId: seedId('tenant:washington'), plan: app.services.limits.plans.free, key: null };
  await texasLoad();

  console.log('noisy neighbour: texas (standard) normal list query, 2 connections, alone and while washington (free)');
  console.log(`  floods with pages of 100 parks from ${FLOOD_CONNECTIONS} connections (other processes, same cores);`);
  console.log('  per round: texas p99 alone, flooded (ms), their ratio; loop delay p99 (ms) and cores taken by other');
  console.log('  processes (the loads included), alone → flooded; the flooder answers refused with 429');
  const p99Ratios: number[] = [];
  const rpsRatios: number[] = [];
  let refused = 0;
  let answered = 0;
  let errors5xx = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const refilled = sleep(app.services.limits.limiter.status(washington).resetSeconds * 1000);
    const alone = await phase(texasLoad);
    await refilled;
    const flooded = await phase(async () => {
      const connected = once(app.httpServer, 'connection');
      const flood = loadFromAnotherProcess({
        url,
        method: 'POST',
        headers: headersOf(flooder),
        body: HEAVY,
        connections: FLOOD_CONNECTIONS,
        seconds: FLOOD_SECONDS,
      });
      await connected;
      const victim = await texasLoad();
      const result = await flood;
      if (Date.parse(String(result.finish)) < victim.to) throw new Error('the flood ended before texas was measured');
      return { victim, flood: result };
    });
    const { victim, flood } = flooded.result;
    p99Ratios.push(victim.p99 / alone.result.p99);
    rpsRatios.push(victim.rps / alone.result.rps);
    refused += flood['4xx'];
    answered += flood['2xx'] + flood['4xx'] + flood['5xx'];
    errors5xx += flood['5xx'] + victim.statuses['5xx']! + alone.result.statuses['5xx']!;
    console.log(
      `  round ${round + 1}: ${fixed(alone.result.p99)} → ${fixed(victim.p99)} ms = ${p99Ratios.at(-1)!.toFixed(2)}x; loop delay ${fixed(alone.loopDelayP99)} → ${fixed(flooded.loopDelayP99)}; other cores ${fixed(alone.otherCores)} → ${fixed(flooded.otherCores)}; 429 ${flood['4xx']} of ${flood['2xx'] + flood['4xx']}`,
    );
  }
  console.log(`  p99 texas flooded / alone, median of ${ROUNDS} rounds: ${described(p99Ratios, 2)} (goal ≤ 1.5x)`);
  console.log(`  requests/s texas flooded / alone: ${described(rpsRatios, 2)}`);
  console.log(`  flooder answers refused with 429: ${((100 * refused) / Math.max(1, answered)).toFixed(1)}%`);
  console.log(`  5xx answers: ${errors5xx}`);
}

/**
 * The limiter's own cost: requests/s of the normal query with the limits ÷ without them (goal ≥
 * 0.97x). Two server processes of the production build (dist/, built first when older than the
 * sources), each on its own embedded database, one with the limits and one with every limit decision
 * taken out at start (limits-server.ts), receive in turn one load from a third
 * process (alternating-client.ts), segment by segment, in pairs of alternating order (with–without,
 * then without–with, …) so that a drift of the machine's speed falls on both alike. Each pair gives a
 * ratio of requests/s and one of requests per CPU-second of the server's process; their medians,
 * spread and the medians' confidence intervals are reported, and the ratio of the totals. On a
 * machine shared with other programs, requests/s moves with what they take from the cores; CPU time
 * per request does not count it, and measures what the limits cost the server.
 */
async function limiterCost(): Promise<void> {
  const targetOf = ({ url, token, pid }: LimitsServer): AlternatingTarget => ({
    url: `${url}/graphql`,
    headers: headersOf(token),
    pid,
  });
  const pairs: Array<[AlternatingSegment, AlternatingSegment]> = [];
  const roundMedians: number[] = [];
  let errors5xx = 0;
  await buildForProduction();
  const machine = machineTicks();
  for (let round = 0; round < PROCESS_ROUNDS; round += 1) {
    // Every other round the server without the limits is started first and loaded first, so that
    // what comes with a place (forked first, loaded first in the first pair) falls on both alike.
    const limitedFirst = round % 2 === 0;
    const servers = await Promise.all([startLimitsServer(limitedFirst), startLimitsServer(!limitedFirst)]);
    try {
      const load = await alternatingLoad({
        targets: [targetOf(servers[0]), targetOf(servers[1])],
        body: NORMAL,
        connections: 8,
        pairs: PAIRS / PROCESS_ROUNDS,
        segmentMs: SEGMENT_MS,
        warmUpMs: WARM_UP_MS,
      });
      const roundPairs = load.pairs.map(([first, second]): [AlternatingSegment, AlternatingSegment] =>
        limitedFirst ? [first, second] : [second, first],
      );
      pairs.push(...roundPairs);
      roundMedians.push(median(roundPairs.map(([limited, unlimited]) => limited.rate / unlimited.rate)));
      errors5xx += load.statuses['5xx'] ?? 0;
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  }
  const after = machineTicks();
  const busy = machine && after ? ((after.busy - machine.busy) / (after.total - machine.total)) * coreCount() : null;
  const ratios = pairs.map(([limited, unlimited]) => limited.rate / unlimited.rate);
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const rateWith = mean(pairs.map(([limited]) => limited.rate));
  const rateWithout = mean(pairs.map(([, unlimited]) => unlimited.rate));
  console.log(
    'limiter cost: the same query, 8 connections (another process), full stack with limits / with every limit decision taken out, production build,',
  );
  console.log(
    `  two server processes loaded in turn, ${PROCESS_ROUNDS} pairs of processes × ${PAIRS / PROCESS_ROUNDS} pairs of ${SEGMENT_MS / 1000} s segments in alternating order; machine ${fixed(busy)} cores busy, 5xx ${errors5xx}`,
  );
  console.log(`  requests/s, per pair: ${ratios.map((ratio) => ratio.toFixed(3)).join(', ')}`);
  console.log(
    `  requests/s with / without, median per pair of processes: ${roundMedians.map((ratio) => ratio.toFixed(3)).join(', ')}`,
  );
  console.log(`  requests/s with ${Math.round(rateWith)}, without ${Math.round(rateWithout)} (mean of segments)`);
  console.log(
    `  requests/s with / without, median of ${PAIRS} pairs: ${withInterval(ratios, 3)}; ratio of totals ${(rateWith / rateWithout).toFixed(3)}x (goal ≥ 0.97x)`,
  );
  if (pairs.every(([limited, unlimited]) => limited.cpuPerRequest !== null && unlimited.cpuPerRequest !== null)) {
    const cpuRatios = pairs.map(([limited, unlimited]) => unlimited.cpuPerRequest! / limited.cpuPerRequest!);
    console.log(
      `  server CPU per request with ${mean(pairs.map(([limited]) => limited.cpuPerRequest!)).toFixed(0)} µs, without ${mean(pairs.map(([, unlimited]) => unlimited.cpuPerRequest!)).toFixed(0)} µs (mean of segments)`,
    );
    console.log(
      `  requests per CPU-second with / without (CPU time does not count the time other programs take), median of ${PAIRS} pairs: ${withInterval(cpuRatios, 3)}`,
    );
  }
}

/**
 * Two figures of the limits through the full stack on the embedded database, each a median of ratios
 * to a baseline measured in the same run, after a warm-up: the noisy neighbour (on one server in this
 * process: default plans, except texas's bucket made large so that the measuring load itself is never
 * limited) and the limiter's own cost (above, on two server processes of its own).
 */
export async function run(): Promise<void> {
  const bench = await startBenchApp({
    PLANS: JSON.stringify({
      standard: { restoreRate: 1_000_000_000, bucketSize: 1_000_000_000, requestsInFlight: 100_000 },
    }),
  });
  try {
    await addParks(bench.texas, 20);
    await addParks(bench.app.services.database.forTenant(seedId('tenant:washington')), 100);
    const flooder = await bench.issuer.sign({ subject: 'bob@example.com', email: 'bob@example.com' }, 3600);
    await noisyNeighbour(bench, flooder);
  } finally {
    await bench.stop();
  }
  await limiterCost();
}

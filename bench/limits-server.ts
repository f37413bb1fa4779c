import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Limits } from '../src/limits/limits.js';
import { addParks, productionModules, startBenchApp } from './bench-app.js';

/**
 * One full server for the limiter's cost (noisy-neighbour.ts), in a process of its own with its own
 * embedded database, from the production build (bench-app.ts, `productionModules`): with every limit
 * decision, or with all of them taken out once at start. Two
 * such processes, one of each, are measured in turn under the same load, so that switching between
 * them changes no code a server runs. The bench used to swap the limits' methods on one live server
 * every segment: the server then compiled code again and missed its inline caches after each swap,
 * and measured a cost of 3–4% where the limits' own calls take under 1% (timed in place) and two
 * servers started once each, with and without, differ by less than 1%.
 */
const SERVER_ROLE = 'limits-server';

/** texas's bucket made large, so that the measuring load itself is never limited. */
const PLANS = JSON.stringify({
  standard: { restoreRate: 1_000_000_000, bucketSize: 1_000_000_000, requestsInFlight: 100_000 },
});

/**
 * The limits with every decision taken out: what the stack costs without them (costing, admission,
 * the turn to execute, the refund, the RateLimit fields and extensions.cost, early refusal and the
 * callers it remembers, the usage ledger's counting).
 */
function takeOutDecisions(limits: Limits): void {
  limits.admit = () => ({ requested: 0, ticket: null, shape: null });
  limits.turn = () => undefined;
  limits.finish = () => 0;
  limits.status = () => null;
  limits.refuseEarly = () => null;
  limits.remember = () => {};
  limits.usage.record = () => {};
}

interface Ready {
  url: string;
  /** A dev token of alice (texas ADMIN) from this server's own issuer. */
  token: string;
}

async function serve(withLimits: boolean): Promise<void> {
  const bench = await startBenchApp({ PLANS }, await productionModules());
  await addParks(bench.texas, 20);
  if (!withLimits) takeOutDecisions(bench.app.services.limits);
  process.once('message', async () => {
    await bench.stop();
    process.exit(0);
  });
  process.send!({ url: bench.app.url, token: bench.token } satisfies Ready);
}

if (process.env.BENCH_ROLE === SERVER_ROLE && process.send) await serve(process.env.WITH_LIMITS === 'true');

export interface LimitsServer extends Ready {
  pid: number;
  stop(): Promise<void>;
}

/** Starts a server process, with the limits or without their decisions, once it listens. */
export async function startLimitsServer(withLimits: boolean): Promise<LimitsServer> {
  // The child runs this very module under tsx, as `npm run bench` runs this process.
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx', '--conditions=development'],
    env: { ...process.env, BENCH_ROLE: SERVER_ROLE, WITH_LIMITS: String(withLimits) },
  });
  const [ready] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`limits server exited (${code}) before it listened`);
    }),
  ])) as [Ready];
  return {
    ...ready,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send('stop');
      await exited;
    },
  };
}

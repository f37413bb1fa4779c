import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { loadOrCreateDevIssuer } from '../src/auth/dev-issuer.js';
import { loadConfig } from '../src/config.js';
import { startApp, type RunningApp } from '../src/server/app.js';
import { seedId } from '../src/seed/seed.js';

/**
 * Issue 16's figures, measured in one run:
 * - import throughput: rows per second of an NDJSON import job (upload to SUCCEEDED) ÷ rows per second
 *   of `createPark` mutations over HTTP with 8 connections (autocannon, keep-alive), on the same
 *   server. Goal ≥ 10x. Both paths are warmed first (JIT, connection pools, heap sizes: a
 *   20,000-row import, then the mutations); then `ROUNDS` rounds each time both, alternating which goes first, and the figure is
 *   the median of the rounds' ratios: the machine's load moves both paths alike within a round, and
 *   a round disturbed by it moves a median less than a mean. Before each measurement the event
 *   sequencer has published everything staged (the outbox is empty), so neither path pays for the
 *   other's events. Both are timed with nothing else running: the memory sampler below forces a full
 *   garbage collection every 250 ms, which would slow the import it watches, so throughput and memory
 *   come from separate imports.
 * - memory: the peak of the live heap (sampled after a full garbage collection every 250 ms) above
 *   its level before the import, importing 100,000 rows ÷ importing 20,000 (a file 5x as large), and
 *   the same for RSS (which also holds garbage not yet collected). The database runs in a child
 *   process (the embedded server, as `npm run db` starts it) so that its data is not counted; the
 *   upload is made as it is read (`lines`). Flat memory means a ratio near 1, not near 5.
 */
const CONNECTIONS = 8;
const MUTATION_SECONDS = 4;
const ROUNDS = 5;
const ROUND_ROWS = 20_000;
const ROWS = [20_000, 100_000];
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A full garbage collection, for the live-heap samples (the flag is set at run time, not on the command line). */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function startDatabaseProcess() {
  const child = spawn(
    process.execPath,
    [
      // Profiled with the bench (`node --cpu-prof …`): the database writes its own profile beside it.
      ...process.execArgv.filter((flag) => flag.startsWith('--cpu-prof')),
      '--conditions=development',
      '--import',
      'tsx',
      'packages/embedded-mongo/src/cli.ts',
      '--dir',
      ':memory:',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const uri = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the embedded server exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', resolve);
  });
  return { uri, stop: () => child.kill('SIGTERM') };
}

async function graphql<T>(app: RunningApp, token: string, query: string, variables = {}): Promise<T> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

/**
 * The upload's body, made as the upload reads it: a pull stream, so that the client (in this process)
 * holds one chunk at a time. `Readable.toWeb` over a generator read the whole file ahead into its
 * queue, and that queue was the growth the memory figure measured.
 */
function lines(rows: number, prefix: string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let index = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index >= rows) {
        controller.close();
        return;
      }
      let chunk = '';
      for (const end = Math.min(rows, index + 100); index < end; index++) {
        chunk += `${JSON.stringify({ name: `${prefix} ${index}`, region: 'Bench', capacity: index % 1000 })}\n`;
      }
      controller.enqueue(encoder.encode(chunk));
    },
  });
}

/**
 * Imports `rows` parks through a job; its rows per second and, when `sampled`, the peak growth (bytes)
 * of the live heap and of RSS while it ran.
 */
async function importRows(app: RunningApp, token: string, rows: number, sampled: boolean) {
  const { createImportJob } = await graphql<{ createImportJob: { job: { id: string }; uploadUrl: string } }>(
    app,
    token,
    'mutation { createImportJob(input: { entity: PARK, format: NDJSON }) { job { id } uploadUrl } }',
  );
  collectGarbage();
  const before = process.memoryUsage();
  const peak = { heap: before.heapUsed, rss: before.rss };
  const sampler = sampled
    ? setInterval(() => {
        collectGarbage();
        const now = process.memoryUsage();
        peak.heap = Math.max(peak.heap, now.heapUsed);
        peak.rss = Math.max(peak.rss, now.rss);
      }, 250)
    : undefined;
  const started = performance.now();
  const uploaded = await fetch(createImportJob.uploadUrl, {
    method: 'PUT',
    body: lines(rows, `Import ${rows}`),
    duplex: 'half',
  } as RequestInit);
  if (uploaded.status !== 201) throw new Error(`upload refused: ${uploaded.status}`);
  for (;;) {
    const { job } = await graphql<{ job: { status: string; rowsWritten: number } }>(
      app,
      token,
      'query ($id: ID!) { job(id: $id) { status rowsWritten } }',
      { id: createImportJob.job.id },
    );
    if (job.status !== 'PENDING' && job.status !== 'RUNNING') {
      if (job.status !== 'SUCCEEDED' || job.rowsWritten !== rows)
        throw new Error(`import ended ${JSON.stringify(job)}`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  return { perSecond: rows / seconds, heap: peak.heap - before.heapUsed, rss: peak.rss - before.rss };
}

async function mutationRate(app: RunningApp, token: string, seconds: number): Promise<number> {
  const result = await autocannon({
    url: `${app.url}/graphql`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: 'mutation { createPark(input: { name: "Mutation park", region: "Bench", capacity: 1 }) { id } }',
    }),
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`createPark: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

export async function run(): Promise<void> {
  const database = await startDatabaseProcess();
  const dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-bench-jobs-'));
  const unlimited = { restoreRate: 1_000_000_000, bucketSize: 1_000_000_000, requestsInFlight: 1_000_000 };
  const app = await startApp(
    loadConfig({
      PORT: '0',
      MONGODB_URI: database.uri,
      DATA_DIR: dataDir,
      SEED: 'true',
      LOG_LEVEL: 'silent',
      JOB_POLL_MS: '20',
      STAGING_MAX_UPLOAD_BYTES: String(1024 * 1024 * 1024),
      PLANS: JSON.stringify({ free: unlimited, standard: unlimited, enterprise: unlimited }),
    }),
    pino({ level: 'silent' }),
  );
  const texas = app.services.database.forTenant(seedId('tenant:texas'));
  /** Until the event sequencer has published every staged event: a measurement starts with no backlog. */
  const published = async () => {
    while ((await texas.collection('eventOutbox').count({})) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  try {
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 3600);
    // Warm until both paths are steady: a first import also speeds the mutations after it up (in
    // runs with a short warm-up, the first round's createPark ran at about half the later rounds').
    await mutationRate(app, token, 2);
    await published();
    await importRows(app, token, ROUND_ROWS, false);
    await published();
    await mutationRate(app, token, MUTATION_SECONDS);
    const rounds: { mutations: number; imported: number; ratio: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let mutations = 0;
      let imported = 0;
      for (const path of round % 2 === 0 ? ['mutations', 'import'] : ['import', 'mutations']) {
        await published();
        if (path === 'mutations') mutations = await mutationRate(app, token, MUTATION_SECONDS);
        else imported = (await importRows(app, token, ROUND_ROWS, false)).perSecond;
      }
      rounds.push({ mutations, imported, ratio: imported / mutations });
      console.log(
        `round ${round + 1}: createPark ${mutations.toFixed(0)} rows/s, import ${imported.toFixed(0)} rows/s: ` +
          `${(imported / mutations).toFixed(1)}x`,
      );
    }
    await published();
    const [small, large] = [await importRows(app, token, ROWS[0]!, true), await importRows(app, token, ROWS[1]!, true)];
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const ratios = rounds.map((round) => round.ratio);
    console.log(
      `createPark over HTTP, ${CONNECTIONS} connections (baseline): median ${median(rounds.map((round) => round.mutations)).toFixed(0)} rows/s`,
    );
    console.log(
      `import job, ${ROUND_ROWS} NDJSON rows: median ${median(rounds.map((round) => round.imported)).toFixed(0)} rows/s`,
    );
    console.log(
      `import ÷ mutations: median ${median(ratios).toFixed(1)}x over ${ROUNDS} rounds ` +
        `(from ${Math.min(...ratios).toFixed(1)}x to ${Math.max(...ratios).toFixed(1)}x; goal ≥ 10x)`,
    );
    console.log(
      `(a ${ROWS[1]}-row import while sampling memory, with a full collection every 250 ms: ${large.perSecond.toFixed(0)} rows/s)`,
    );
    for (const measure of ['heap', 'rss'] as const) {
      // A growth under 1 MB is noise for a ratio: it is shown, not divided by.
      const ratio =
        small[measure] >= 1024 * 1024
          ? `ratio ${(large[measure] / small[measure]).toFixed(2)}x for a file ${ROWS[1]! / ROWS[0]!}x as large (flat: ≈ 1x)`
          : `(below 1 MB for ${ROWS[0]} rows: no ratio)`;
      console.log(
        `peak ${measure === 'heap' ? 'live heap' : 'RSS'} growth importing ${ROWS[1]} rows: ${mb(large[measure])} MB; ` +
          `${ROWS[0]} rows: ${mb(small[measure])} MB; ${ratio}`,
      );
    }
  } finally {
    await app.stop();
    database.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeerServer, startTestServer, type TestServer } from '../support/server.js';
import { callerOf, createImport, finished, readJob, upload, type Caller, type Job } from './support.js';

/*
 * A tenant's plan sets the priority of its jobs and how many run at once (docs/jobs.md, the demo
 * plans: washington free 1 at a time at priority 1, texas standard 2 at priority 2, colorado
 * enterprise 4 at priority 3), seen through the API: jobs are queued through an instance that runs
 * none (JOB_WORKERS=0), then an instance that runs them starts, and the jobs' own startedAt and
 * finishedAt tell the order and the overlap.
 */

let api: TestServer;
const callers: Record<'washington' | 'texas' | 'colorado', Caller> = {} as never;

beforeAll(async () => {
  api = await startTestServer({ JOB_WORKERS: '0' });
  callers.washington = await callerOf(api, 'bob@example.com');
  callers.texas = await callerOf(api, 'alice@example.com');
  callers.colorado = await callerOf(api, 'carol@example.com');
});

afterAll(async () => {
  await api?.stop();
});

type Tenant = keyof typeof callers;
interface Ran {
  tenant: Tenant;
  startedAt: number;
  finishedAt: number;
}

const parks = (tenant: string, count: number) =>
  `${Array.from({ length: count }, (_, index) => JSON.stringify({ name: `${tenant} queued ${index}` })).join('\n')}\n`;

/** Creates an import per tenant listed, in this order, each with its file uploaded: all queued. */
async function queue(tenants: readonly Tenant[], lines: number): Promise<Array<{ tenant: Tenant; id: string }>> {
  const queued = [];
  for (const tenant of tenants) {
    const created = await createImport(api, callers[tenant], { entity: 'PARK', format: 'NDJSON' });
    expect((await upload(created.uploadUrl, parks(tenant, lines))).status).toBe(201);
    queued.push({ tenant, id: created.job.id });
  }
  for (const { tenant, id } of queued) {
    expect((await readJob(api, callers[tenant], id)).data?.job?.status).toBe('PENDING');
  }
  return queued;
}

/** Starts an instance with `workers` job workers, waits until every job ended, and reads their times. */
async function runAll(queued: Array<{ tenant: Tenant; id: string }>, workers: number): Promise<Ran[]> {
  const worker = await startPeerServer(api, { JOB_WORKERS: String(workers), JOB_POLL_MS: '20' });
  try {
    const ended = await Promise.all(queued.map(({ tenant, id }) => finished(api, callers[tenant], id)));
    for (const job of ended) expect(job.status).toBe('SUCCEEDED');
    return ended.map((job: Job, index) => ({
      tenant: queued[index]!.tenant,
      startedAt: Date.parse(job.startedAt!),
      finishedAt: Date.parse(job.finishedAt!),
    }));
  } finally {
    await worker.stop();
  }
}

/** The most jobs of the list running at the same moment. */
function mostAtOnce(runs: readonly Ran[]): number {
  return Math.max(
    ...runs.map(
      (run) => runs.filter((other) => other.startedAt <= run.startedAt && run.startedAt < other.finishedAt).length,
    ),
  );
}

describe('job scheduling by plan, through the API', () => {
  it('a worker takes the jobs of a higher plan first, then the oldest', async () => {
    // Free first, enterprise last: the enterprise jobs still start first.
    const queued = await queue(['washington', 'washington', 'texas', 'colorado', 'colorado'], 200);
    const runs = await runAll(queued, 1);
    const order = runs
      .map((run, index) => ({ ...run, index }))
      .sort((a, b) => a.startedAt - b.startedAt)
      .map((run) => `${run.tenant}#${run.index}`);
    expect(order).toEqual(['colorado#3', 'colorado#4', 'texas#2', 'washington#0', 'washington#1']);
  });

  it('a tenant runs at most its plan’s number of jobs at once, whatever the workers', async () => {
    const queued = await queue(['washington', 'washington', 'washington', 'texas', 'texas', 'texas'], 1200);
    const runs = await runAll(queued, 4);
    const of = (tenant: Tenant) => runs.filter((run) => run.tenant === tenant);
    expect(mostAtOnce(of('washington'))).toBe(1);
    // Texas (standard) did run two at once: the limit, not the workers, kept washington to one.
    expect(mostAtOnce(of('texas'))).toBe(2);
    expect(mostAtOnce(runs)).toBeGreaterThan(2);
  });
});

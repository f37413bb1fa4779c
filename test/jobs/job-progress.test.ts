import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeerServer, startTestServer, type TestServer } from '../support/server.js';
import { CANCEL, asCaller, callerOf, createImport, followJob, upload, type Caller, type Job } from './support.js';

/*
 * jobProgress is pushed: the instance a client subscribed to learns of each change of the job from the
 * database's change stream, whichever instance runs the job. Here the subscriber's instance runs no
 * job at all (JOB_WORKERS=0); another one does.
 */

let api: TestServer;
let worker: TestServer;
let alice: Caller;

beforeAll(async () => {
  api = await startTestServer({ JOB_WORKERS: '0' });
  worker = await startPeerServer(api, { JOB_POLL_MS: '50' });
  alice = await callerOf(api, 'alice@example.com');
});

afterAll(async () => {
  await worker?.stop();
  await api?.stop();
});

/** Subscribes to the job's progress on `api`; resolves once the first state arrived, to all of them at the end. */
async function following(id: string): Promise<{ states: Promise<Job[]> }> {
  let subscribed = () => {};
  const first = new Promise<void>((resolve) => (subscribed = resolve));
  const states = followJob(api, alice, id, 60_000, subscribed);
  await Promise.race([first, states]);
  return { states };
}

const parks = (count: number) =>
  `${Array.from({ length: count }, (_, index) => JSON.stringify({ name: `Pushed Park ${index + 1}` })).join('\n')}\n`;

describe('jobProgress across instances', () => {
  it('streams every batch of a job another instance runs, in order, until it ends', async () => {
    const created = await createImport(api, alice, { entity: 'PARK', format: 'NDJSON' });
    const subscription = await following(created.job.id);
    expect((await upload(created.uploadUrl, parks(3500))).status).toBe(201);
    const states = await subscription.states;
    expect(states[0]!.status).toBe('PENDING');
    expect(states.at(-1)).toMatchObject({ status: 'SUCCEEDED', linesRead: 3500, rowsWritten: 3500 });
    // Batches of 1,000 lines, each committed with the job's progress: the subscriber saw them arrive.
    const progress = states.filter((state) => state.status === 'RUNNING').map((state) => state.linesRead);
    expect(progress).toEqual(expect.arrayContaining([1000, 2000, 3000]));
    const lines = states.map((state) => state.linesRead);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('tells a subscriber of a cancel made through another instance', async () => {
    const created = await createImport(api, alice, { entity: 'PARK', format: 'CSV' });
    const subscription = await following(created.job.id);
    const workerAlice = await callerOf(worker, 'alice@example.com');
    const cancelled = await asCaller<{ cancelJob: Job }>(worker, workerAlice, CANCEL, { id: created.job.id });
    expect(cancelled.data?.cancelJob.status).toBe('CANCELLED');
    expect((await subscription.states).map((state) => state.status)).toEqual(['PENDING', 'CANCELLED']);
  });
});

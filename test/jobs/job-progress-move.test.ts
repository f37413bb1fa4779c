import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/modules/global-id.js';
import { seedId } from '../../src/seed/seed.js';
import { startPeerServer, startTestServer, type TestServer } from '../support/server.js';
import { callerOf, createImport, followJob, upload, type Caller, type Job } from './support.js';

/*
 * A jobProgress subscription follows its tenant when the tenant moves to another database: opened on
 * an instance that runs no job (JOB_WORKERS=0) before texas moves to a database of its own, it hears
 * the job another instance runs there afterwards, to its end.
 */

const TEXAS = seedId('tenant:texas');

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

const MOVE = /* GraphQL */ `
  mutation ($slug: String!, $placement: PlacementInput!) {
    moveTenant(slug: $slug, placement: $placement) { tenant { placement { description } } }
  }
`;

async function moveTexas(placement: { database?: string }): Promise<string | undefined> {
  const response = await fetch(`${api.url}/admin/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await api.token('olivia@example.com')}` },
    body: JSON.stringify({ query: MOVE, variables: { slug: 'texas', placement } }),
  });
  const body = (await response.json()) as {
    data?: { moveTenant: { tenant: { placement: { description: string } } } };
    errors?: unknown;
  };
  expect(body.errors).toBeUndefined();
  return body.data?.moveTenant.tenant.placement.description;
}

/** The job's document in one database of the test server, or null. */
async function jobIn(dbName: string, id: string): Promise<Record<string, unknown> | null> {
  const client = new MongoClient(api.app.services.config.mongodbUri!);
  try {
    return await client.db(dbName).collection<{ _id: string }>('jobs').findOne({ _id: id, tenantId: TEXAS });
  } finally {
    await client.close();
  }
}

describe('jobProgress while its tenant moves', () => {
  it('goes on hearing the job after texas moved to a database of its own', async () => {
    const created = await createImport(api, alice, { entity: 'PARK', format: 'NDJSON' });
    let subscribed = () => {};
    const first = new Promise<void>((resolve) => (subscribed = resolve));
    const states = followJob(api, alice, created.job.id, 60_000, subscribed);
    await Promise.race([first, states]);

    expect(await moveTexas({ database: 'tg_texas_jobs' })).toBe('database tg_texas_jobs');
    const id = fromGlobalId('Job', created.job.id)!;
    // The job now lives in texas's new database only: whatever it hears next comes from there.
    expect(await jobIn('tg_texas_jobs', id)).toMatchObject({ status: 'PENDING' });
    expect(await jobIn(api.app.services.config.mongodbDb, id)).toBeNull();

    const lines = Array.from({ length: 2500 }, (_, index) => JSON.stringify({ name: `Moved Park ${index + 1}` }));
    expect((await upload(created.uploadUrl, `${lines.join('\n')}\n`)).status).toBe(201);
    const seen: Job[] = await states;
    expect(seen[0]!.status).toBe('PENDING');
    expect(seen.at(-1)).toMatchObject({ status: 'SUCCEEDED', linesRead: 2500, rowsWritten: 2500 });
    expect(seen.filter((state) => state.status === 'RUNNING').map((state) => state.linesRead)).toEqual(
      expect.arrayContaining([1000, 2000]),
    );
  });
});

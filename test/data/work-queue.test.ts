import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../src/data/database.js';
import { newId } from '../../src/data/ids.js';
import type { WorkQueue } from '../../src/data/work-queue.js';
import { collections } from '../../src/modules/application.js';
import { startTestMongo, uniqueDbName, type TestMongo } from '../support/mongo.js';

/*
 * The job queue's claims through the real driver: priority then age, a tenant's slots, leases that
 * expire and are taken over, renewals that fail once another owner holds the entry.
 */

let mongo: TestMongo;
let database: Database;

beforeAll(async () => {
  mongo = await startTestMongo();
  database = await connectDatabase({ uri: mongo.uri, dbName: uniqueDbName('queue'), collections });
  await database.ensureIndexes();
});

afterAll(async () => {
  await database?.close();
  await mongo?.stop();
});

let round = 0;
/** A queue over the jobs module's collections, emptied for each test. */
async function freshQueue(): Promise<WorkQueue> {
  round += 1;
  await database.platform.collection('jobQueue').deleteMany({});
  await database.platform.collection('jobSlots').deleteMany({});
  return database.workQueue({ queue: 'jobQueue', slots: 'jobSlots' });
}

const slots = (count: number) => async () => count;
const LONG = 60_000;

describe('the durable work queue', () => {
  it('hands out higher priorities first, then the oldest, and each entry once', async () => {
    const queue = await freshQueue();
    const [a, b, c, d] = [newId(), newId(), newId(), newId()];
    const jobs = [newId(), newId(), newId(), newId()];
    await queue.enqueue({ jobId: jobs[0]!, tenantId: a!, priority: 1 });
    await queue.enqueue({ jobId: jobs[1]!, tenantId: b!, priority: 3 });
    await queue.enqueue({ jobId: jobs[2]!, tenantId: c!, priority: 2 });
    await queue.enqueue({ jobId: jobs[3]!, tenantId: d!, priority: 3 });
    await queue.enqueue({ jobId: jobs[1]!, tenantId: b!, priority: 3 }); // again: nothing changes
    const order = [];
    for (let index = 0; index < 5; index++)
      order.push((await queue.claim(`owner-${round}`, LONG, slots(5)))?.jobId ?? null);
    expect(order).toEqual([jobs[1], jobs[3], jobs[2], jobs[0], null]);
  });

  it('runs at most a tenant’s slots at once, however many owners claim, and frees a slot when an entry completes', async () => {
    const queue = await freshQueue();
    const tenant = newId();
    const other = newId();
    const jobs = [newId(), newId(), newId()];
    for (const jobId of jobs) await queue.enqueue({ jobId, tenantId: tenant, priority: 2 });
    const otherJob = newId();
    await queue.enqueue({ jobId: otherJob, tenantId: other, priority: 1 });
    const claims = await Promise.all(
      ['a', 'b', 'c', 'd'].map((owner) => queue.claim(owner, LONG, async (id) => (id === tenant ? 2 : 1))),
    );
    const claimed = claims.filter((claim) => claim !== null);
    expect(claimed.filter((claim) => claim.tenantId === tenant)).toHaveLength(2);
    expect(claimed.filter((claim) => claim.tenantId === other)).toHaveLength(1);
    const first = claims.findIndex((claim) => claim?.tenantId === tenant);
    expect(await queue.claim('e', LONG, async () => 2)).toBeNull();
    await queue.complete(claims[first]!.jobId, ['a', 'b', 'c', 'd'][first]!);
    const next = await queue.claim('e', LONG, async () => 2);
    expect(next?.tenantId).toBe(tenant);
    expect(jobs).toContain(next?.jobId);
  });

  it('gives an entry whose lease ran out to another owner; the first owner’s renewal then fails', async () => {
    const queue = await freshQueue();
    const jobId = newId();
    const tenantId = newId();
    await queue.enqueue({ jobId, tenantId, priority: 1 });
    expect(await queue.claim('crashed', 1, slots(1))).toEqual({ jobId, tenantId });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the 1 ms lease runs out: time is what is under test
    expect(await queue.claim('survivor', LONG, slots(1))).toEqual({ jobId, tenantId });
    expect(await queue.renew(jobId, 'crashed', LONG)).toBe(false);
    expect(await queue.renew(jobId, 'survivor', LONG)).toBe(true);
    // The crashed owner's late completion removes nothing of the survivor's.
    await queue.complete(jobId, 'crashed');
    expect(await queue.renew(jobId, 'survivor', LONG)).toBe(true);
  });

  it('release hands an entry back at once; remove (a cancel) takes it away from its owner', async () => {
    const queue = await freshQueue();
    const jobId = newId();
    const tenantId = newId();
    await queue.enqueue({ jobId, tenantId, priority: 1 });
    await queue.claim('stopping', LONG, slots(1));
    expect(await queue.claim('other', LONG, slots(1))).toBeNull();
    await queue.release(jobId, 'stopping');
    expect(await queue.claim('other', LONG, slots(1))).toEqual({ jobId, tenantId });
    await queue.remove(jobId);
    expect(await queue.renew(jobId, 'other', LONG)).toBe(false);
    expect(await queue.claim('third', LONG, slots(1))).toBeNull();
  });
});

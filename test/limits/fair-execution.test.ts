import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedId } from '../../src/seed/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Fair admission of execution between tenants (src/limits/fair-queue.ts): with two places of
 * execution, a tenant that sends a burst of heavy operations executes them its share at a time, and
 * another tenant's operation sent in the middle of the burst takes the next free place instead of
 * sharing the event loop with the whole burst. Asserted on the order of the answers, not on times.
 */
const HEAVY = '{ parks(first: 100) { nodes { id name region capacity } } }';
const BURST = 12;

let server: TestServer;
beforeAll(async () => {
  // Two places that never grow (they would against a remote database): the order is the queue's alone.
  server = await startTestServer({ EXECUTION_CONCURRENCY: '2', EXECUTION_CONCURRENCY_MAX: '2' });
  const now = new Date();
  for (const tenant of ['tenant:washington', 'tenant:texas']) {
    const parks = server.app.services.database.forTenant(seedId(tenant)).collection('parks');
    for (let i = 0; i < 100; i += 1) {
      await parks.insertOne({ name: `Fair ${i}`, region: 'Fair', capacity: i, createdAt: now, updatedAt: now });
    }
  }
});
afterAll(() => server?.stop());

describe('a tenant flooding with heavy operations while another works', () => {
  it('has its burst wait behind itself: the other tenant is answered before most of the burst', async () => {
    const flooder = await server.token('bob@example.com'); // washington, free plan
    const worker = await server.token('alice@example.com'); // texas
    const order: string[] = [];
    const answered = (who: string) => (response: { status: number }) => {
      order.push(who);
      return response.status;
    };
    // The other tenant has been working: its credentials and memberships are known.
    expect((await server.gql(HEAVY, { auth: worker })).status).toBe(200);
    const burst = Array.from({ length: BURST }, () => server.gql(HEAVY, { auth: flooder }).then(answered('flooder')));
    // The burst is under way (its first operation executed); the other tenant asks now.
    await Promise.race(burst);
    const work = server.gql(HEAVY, { auth: worker }).then(answered('worker'));

    // Every operation is admitted (the free bucket holds the burst): none is refused, they wait.
    expect(await Promise.all([...burst, work])).toEqual(Array(BURST + 1).fill(200));
    const flooderAfterWorker = order.length - 1 - order.indexOf('worker');
    // Without fair admission the worker's operation shares the loop with every operation of the burst
    // and is answered among its last; with it, it takes the next free place.
    expect(flooderAfterWorker).toBeGreaterThanOrEqual(BURST / 2);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedId } from '../../src/seed/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The places of execution are shared in proportion to the plans' weights (src/limits/fair-queue.ts):
 * with five places, an enterprise tenant (weight 4) and a free tenant (weight 1) that both keep
 * more operations waiting than there are places execute four and one at a time. Both send the same
 * heavy page, so the enterprise tenant completes about four operations for the free tenant's one;
 * with equal shares each completed about half. Asserted on counts of answers, not on times.
 */
const HEAVY = '{ parks(first: 100) { nodes { id name region capacity } } }';
/** Operations each tenant keeps outstanding: more than the five places, so both always have work waiting. */
const OUTSTANDING = 8;
const COMPLETIONS = 100;
/** Buckets large enough that neither tenant is ever refused: only the order of execution is measured. */
const UNLIMITED = { restoreRate: 1_000_000_000, bucketSize: 1_000_000_000, requestsInFlight: 1_000 };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    // Five places that never grow (they would against a remote database).
    EXECUTION_CONCURRENCY: '5',
    EXECUTION_CONCURRENCY_MAX: '5',
    PLANS: JSON.stringify({ free: UNLIMITED, enterprise: UNLIMITED }),
  });
  const now = new Date();
  for (const tenant of ['tenant:washington', 'tenant:colorado']) {
    const parks = server.app.services.database.forTenant(seedId(tenant)).collection('parks');
    await parks.insertMany(
      Array.from({ length: 100 }, (_, i) => ({
        name: `Weighted ${i}`,
        region: 'Weighted',
        capacity: i,
        createdAt: now,
        updatedAt: now,
      })),
    );
  }
});
afterAll(() => server?.stop());

describe('an enterprise tenant and a free tenant both flooding', () => {
  it('executes about four operations of the enterprise tenant for one of the free tenant', async () => {
    const tokens = {
      enterprise: await server.token('carol@example.com'), // colorado
      free: await server.token('bob@example.com'), // washington
    };
    const completed = { enterprise: 0, free: 0 };
    const failures: number[] = [];
    const flood = async (who: keyof typeof completed) => {
      while (completed.enterprise + completed.free < COMPLETIONS) {
        const { status } = await server.gql(HEAVY, { auth: tokens[who] });
        if (status !== 200) failures.push(status);
        completed[who] += 1;
      }
    };
    await Promise.all([
      ...Array.from({ length: OUTSTANDING }, () => flood('enterprise')),
      ...Array.from({ length: OUTSTANDING }, () => flood('free')),
    ]);

    expect(failures).toEqual([]);
    const share = completed.enterprise / (completed.enterprise + completed.free);
    // Weights 4:1 give 0.8; equal shares gave about 0.5.
    expect(share).toBeGreaterThan(0.65);
    expect(completed.free).toBeGreaterThan(0);
  });
});

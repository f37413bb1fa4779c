import type { Client } from 'graphql-ws';
import type { AdmittedOperation } from '../../src/limits/limits.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedId } from '../../src/seed/seed.js';
import { runOnce, wsClient, wsUrl, type WsOutcome } from '../support/graphql-ws.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Queries and mutations over graphql-ws go through the same limits as over HTTP: the fair queue of
 * execution (src/limits/fair-queue.ts), the refund of the estimate beyond the actual cost, and
 * `extensions.cost` in their results. Asserted on answers and their order, not on times.
 */
const HEAVY = '{ parks(first: 100) { nodes { id name region capacity } } }';
const BURST = 12;
/** A slow restore, so that a refund shows in the bucket against what refilled meanwhile. */
const SLOW = { restoreRate: 1 };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    // Two places that never grow (they would while operations wait on a remote database).
    EXECUTION_CONCURRENCY: '2',
    EXECUTION_CONCURRENCY_MAX: '2',
    PLANS: JSON.stringify({ standard: SLOW }),
  });
  const now = new Date();
  const parks = server.app.services.database.forTenant(seedId('tenant:washington')).collection('parks');
  await parks.insertMany(
    Array.from({ length: 100 }, (_, i) => ({
      name: `Ws ${i}`,
      region: 'Ws',
      capacity: i,
      createdAt: now,
      updatedAt: now,
    })),
  );
});
afterAll(() => server?.stop());

const clients: Client[] = [];
async function connect(email: string): Promise<{ client: Client; closes: unknown[] }> {
  const token = await server.token(email);
  // Not lazy: the client keeps its one connection open between operations, so a close is the server's.
  const connection = wsClient(wsUrl(server.url), {
    lazy: false,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  clients.push(connection.client);
  return connection;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});

const codesOf = (outcome: WsOutcome): unknown[] =>
  Array.isArray(outcome.error)
    ? outcome.error.map((error: { extensions?: { code?: unknown } }) => error.extensions?.code)
    : [];

describe('a query over graphql-ws', () => {
  it('carries extensions.cost, and the estimate beyond its actual cost goes back to the bucket', async () => {
    const { client } = await connect('alice@example.com'); // texas, standard plan restoring 1 point a second
    const before = await server.as<{ rateLimit: { remaining: number } }>(
      'alice@example.com',
      '{ rateLimit { remaining } }',
    );
    const { result } = await runOnce(client, { query: '{ parks(first: 100) { nodes { id } } }' });
    const nodes = (result!.data as { parks: { nodes: unknown[] } }).parks.nodes;
    const cost = (result!.extensions as { cost: Record<string, number> }).cost;
    expect(cost).toMatchObject({ requested: 101, actual: nodes.length + 1, restoreRate: 1, maximum: 25_000 });
    expect(nodes.length).toBeLessThan(90);
    // Kept from the bucket: its actual cost, not the estimate of a full page (a second's restore is 1 point).
    const remaining = before.data!.rateLimit.remaining;
    expect(cost.remaining).toBeGreaterThan(remaining - cost.requested! + 5);
    expect(cost.remaining).toBeLessThanOrEqual(remaining);
  });
});

describe('a tenant flooding with heavy queries over graphql-ws while another works over HTTP', () => {
  it('has its burst wait behind itself: the HTTP operation is answered before most of the burst', async () => {
    const { client } = await connect('bob@example.com'); // washington, free plan
    const worker = await server.token('alice@example.com'); // texas
    expect((await server.gql(HEAVY, { auth: worker })).status).toBe(200);
    const order: string[] = [];
    const burst = Array.from({ length: BURST }, () =>
      runOnce(client, { query: HEAVY }).then((outcome) => {
        order.push('flooder');
        return outcome;
      }),
    );
    // The burst is under way (its first operation executed); the other tenant asks now.
    await Promise.race(burst);
    const work = server.gql(HEAVY, { auth: worker }).then((response) => {
      order.push('worker');
      return response.status;
    });

    expect(await work).toBe(200);
    const outcomes = await Promise.all(burst);
    for (const outcome of outcomes) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.result?.extensions).toMatchObject({ cost: { requested: 101, actual: 101 } });
    }
    // Without the queue over WebSocket, the whole burst executes at once and the HTTP operation,
    // sharing the event loop with it, is answered among its last.
    expect(order.length - 1 - order.indexOf('worker')).toBeGreaterThanOrEqual(BURST / 2);
  });

  it('refuses its operations over its plan with RATE_LIMITED, and its connection stays open', async () => {
    const { client, closes } = await connect('bob@example.com');
    // More than the free plan's 20 operations in flight at once, and than its bucket (6,000 points).
    const outcomes = await Promise.all(Array.from({ length: 80 }, () => runOnce(client, { query: HEAVY })));
    const refused = outcomes.filter((outcome) => outcome.error !== undefined);
    expect(refused.length).toBeGreaterThan(0);
    for (const outcome of refused) expect(codesOf(outcome)).toEqual(['RATE_LIMITED']);
    expect(outcomes.length - refused.length).toBeGreaterThan(0);

    // The other tenant is still served, and the flooder's connection still answers.
    expect((await server.as('alice@example.com', '{ viewer { roles } }')).status).toBe(200);
    const after = await runOnce(client, { query: '{ rateLimit { remaining } }' });
    expect(after.result?.data).toMatchObject({ rateLimit: { remaining: expect.any(Number) } });
    expect(closes).toEqual([]);
  });
});

describe('a mutation over graphql-ws completed by its client while it waits for its turn', () => {
  it('does not execute', async () => {
    const { client } = await connect('alice@example.com'); // texas admin
    const limits = server.app.services.limits;
    // Both places of execution held by texas, so that its next operations wait for their turn.
    const payer = { tenantId: seedId('tenant:texas'), plan: limits.plans.standard, key: null };
    const holders: AdmittedOperation[] = [0, 1].map(() => ({
      requested: 0,
      ticket: { payer, estimated: 0 },
      shape: null,
    }));
    for (const holder of holders) expect(limits.turn(holder)).toBeUndefined();
    // Observed, not replaced: the operations that wait for their turn (by cost), and their finish.
    const { turn, finish } = limits;
    const waiting = new Map<number, () => void>();
    const waits = (cost: number) => new Promise<void>((resolve) => waiting.set(cost, resolve));
    let finished!: () => void;
    const mutationFinished = new Promise<void>((resolve) => {
      finished = resolve;
    });
    limits.turn = (operation) => {
      const turnCame = turn.call(limits, operation);
      if (turnCame) waiting.get(operation.requested)?.();
      return turnCame;
    };
    limits.finish = (operation, ...rest) => {
      const actual = finish.call(limits, operation, ...rest);
      if (operation.requested === 11) finished();
      return actual;
    };
    try {
      const mutationWaits = waits(11); // createPark: 10 for the mutation, 1 for the park
      const outcomes: unknown[] = [];
      const unsubscribe = client.subscribe(
        { query: 'mutation { createPark(input: { name: "completed while waiting" }) { id } }' },
        { next: (value) => outcomes.push(value), error: (error) => outcomes.push(error), complete: () => {} },
      );
      await mutationWaits;
      unsubscribe();
      // A query sent after the completion on the same connection: once it waits too, the server has
      // read the completion (a connection's messages are read in order).
      const queryWaits = waits(1);
      const query = runOnce(client, { query: '{ viewer { roles } }' });
      await queryWaits;
      for (const holder of holders) finish.call(limits, holder, null);
      await mutationFinished;
      expect((await query).result?.data).toEqual({ viewer: { roles: ['ADMIN'] } });

      const parks = await server.as<{ parks: { nodes: Array<{ name: string }> } }>(
        'alice@example.com',
        '{ parks(first: 100) { nodes { name } } }',
      );
      expect(parks.data!.parks.nodes.map((park) => park.name)).not.toContain('completed while waiting');
      expect(outcomes).toEqual([]);
    } finally {
      Object.assign(limits, { turn, finish });
    }
  });
});

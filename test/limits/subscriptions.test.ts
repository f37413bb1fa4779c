import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PLANS } from '../../src/limits/plans.js';
import { tenantIdOf } from '../events/support.js';
import { until } from '../support/wait.js';
import { collect, wsClient, wsUrl } from '../support/graphql-ws.js';
import { startTestServer, type TestServer } from '../support/server.js';

const FRANK = 'frank@example.com'; // texas integrator: may subscribe to exportEvents
const ALICE = 'alice@example.com'; // texas admin
const SUBSCRIPTION = 'subscription { exportEvents { type subject } }';

const subscribe = (client: Client) =>
  collect(client, { query: SUBSCRIPTION }, (data) => (data as { exportEvents: { type: string } }).exportEvents);

const clients: Client[] = [];
async function connect(server: TestServer, email: string): Promise<Client> {
  const token = await server.token(email);
  const { client } = wsClient(wsUrl(server.url), { connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(client);
  return client;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});

const createPark = (server: TestServer) =>
  server.as(ALICE, 'mutation { createPark(input: { name: "seen by every stream" }) { id } }');

describe('a flood of subscriptions on one connection', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('refuses those over the plan’s cap per connection; the connection and its streams go on', async () => {
    const cap = DEFAULT_PLANS.standard.subscriptionsPerConnection;
    const client = await connect(server, FRANK);
    const streams = Array.from({ length: cap + 30 }, () => subscribe(client));
    const limits = server.app.services.limits.subscriptions;
    await until(() => streams.filter((stream) => stream.errors.length > 0).length === 30, 'the refusals');
    expect(limits.count(tenantIdOf('texas'))).toBe(cap);
    for (const stream of streams.filter((s) => s.errors.length > 0)) {
      expect(stream.errors.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    }
    const live = streams.filter((stream) => stream.errors.length === 0);
    expect(live).toHaveLength(cap);
    await until(() => server.app.services.exportFeed.subscribers() >= cap, 'the live streams');

    // The connection still serves queries, and every live stream gets the next event.
    const query = await new Promise<unknown>((resolve, reject) => {
      client.subscribe({ query: '{ viewer { roles } }' }, { next: resolve, error: reject, complete: () => {} });
    });
    expect(query).toEqual({ data: { viewer: { roles: ['INTEGRATOR'] } }, extensions: { cost: expect.any(Object) } });
    await createPark(server);
    await until(() => live.every((stream) => stream.values.length === 1), 'the event on every live stream');

    // A stream that ends frees its place.
    live[0]!.stop();
    await until(() => limits.count(tenantIdOf('texas')) === cap - 1, 'the freed place');
    const again = subscribe(client);
    await until(() => limits.count(tenantIdOf('texas')) === cap, 'the new stream');
    expect(again.errors).toEqual([]);
  });
});

describe('the cap per tenant, across connections', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      PLANS: JSON.stringify({ standard: { subscriptionsPerTenant: 3, subscriptionsPerConnection: 2 } }),
    });
  });
  afterAll(() => server?.stop());

  it('holds for the tenant whatever the connection, and frees places when a connection closes', async () => {
    const limits = server.app.services.limits.subscriptions;
    const texas = tenantIdOf('texas');
    const first = await connect(server, FRANK);
    // Each operation verifies its credentials on its own, so which of the three comes last may vary.
    const a = [subscribe(first), subscribe(first), subscribe(first)];
    await until(() => a.some((stream) => stream.errors.length === 1), 'the refusal on the first connection');
    expect(a.map((stream) => stream.errors.length).sort()).toEqual([0, 0, 1]);
    expect(limits.count(texas)).toBe(2);
    const second = await connect(server, FRANK);
    const b = [subscribe(second), subscribe(second)];
    await until(() => limits.count(texas) === 3 && b.some((stream) => stream.errors.length === 1), 'the tenant cap');
    expect(b.flatMap((stream) => stream.errors.map((error) => error.extensions?.code))).toEqual(['RATE_LIMITED']);

    await first.dispose();
    await until(() => limits.count(texas) === 1, 'the places of the closed connection');
    const c = subscribe(second);
    await until(() => limits.count(texas) === 2, 'a new stream');
    expect(c.errors).toEqual([]);
  });
});

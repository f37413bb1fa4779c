import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantIdOf } from '../events/support.js';
import { collect, wsClient, wsUrl } from '../support/graphql-ws.js';
import { startPeerServer, startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';

const CAP = 4;
const ENV = {
  PLANS: JSON.stringify({ standard: { subscriptionsPerTenant: CAP, subscriptionsPerConnection: 10 } }),
  RATE_LIMIT_SYNC_MS: '100',
};
const FRANK = 'frank@example.com'; // texas integrator: may subscribe to exportEvents
const TEXAS = tenantIdOf('texas');

let a: TestServer;
let b: TestServer;
const clients: Client[] = [];
beforeAll(async () => {
  a = await startTestServer(ENV);
  b = await startPeerServer(a, ENV);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await b?.stop();
  await a?.stop();
});

async function connect(server: TestServer): Promise<Client> {
  const token = await server.token(FRANK);
  const { client } = wsClient(wsUrl(server.url), { connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(client);
  return client;
}

const subscribe = (client: Client) =>
  collect(client, { query: 'subscription { exportEvents { type } }' }, (data) => data.exportEvents);

const caps = (server: TestServer) => server.app.services.limits.subscriptions;

describe("a tenant's subscription cap, across two instances on one database", () => {
  it('refuses a subscribe on either instance once the cap is filled across both, and admits again after some close', async () => {
    const [onA, onB] = await Promise.all([connect(a), connect(b)]);
    const streams = [subscribe(onA), subscribe(onA), subscribe(onB), subscribe(onB)];
    await until(() => caps(a).count(TEXAS) === 2 && caps(b).count(TEXAS) === 2, 'two live streams on each instance');
    // Each instance learns the other's count at its next exchange.
    await until(
      () => caps(a).tenantWide(TEXAS) === CAP && caps(b).tenantWide(TEXAS) === CAP,
      "each instance's knowledge of the other's streams",
    );

    const overA = subscribe(onA);
    const overB = subscribe(onB);
    await until(() => overA.done && overB.done, 'the refusals');
    for (const refused of [overA, overB]) {
      expect(refused.errors.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    }
    expect(caps(a).count(TEXAS) + caps(b).count(TEXAS)).toBe(CAP);

    // The connections stay open and the streams go on: an event reaches every one of them.
    expect(streams.every((stream) => !stream.done && stream.errors.length === 0)).toBe(true);
    await a.as('alice@example.com', 'mutation { createPark(input: { name: "seen by every stream" }) { id } }');
    await Promise.all(streams.map((stream) => stream.waitFor(1)));

    // A stream closed on one instance frees a place on the other.
    streams[0]!.stop();
    await until(() => caps(b).tenantWide(TEXAS) === CAP - 1, 'the freed place, as the other instance knows it');
    const again = subscribe(onB);
    await until(() => caps(b).count(TEXAS) === 3, 'the new stream');
    expect(again.errors).toEqual([]);
    expect(again.done).toBe(false);
  });
});

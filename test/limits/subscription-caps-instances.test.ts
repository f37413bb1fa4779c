import type { Client } from 'graphql-ws';
import { MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { tenantIdOf } from '../events/support.js';
import { collect, wsClient, wsUrl } from '../support/graphql-ws.js';
import { startPeerServer, twoInstances, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';

const CAP = 4;
const ENV = {
  PLANS: JSON.stringify({ standard: { subscriptionsPerTenant: CAP, subscriptionsPerConnection: 10 } }),
  RATE_LIMIT_SYNC_MS: '100',
};
const FRANK = 'frank@example.com'; // texas integrator: may subscribe to exportEvents
const TEXAS = tenantIdOf('texas');

const clients: Client[] = [];
const instances = twoInstances(ENV);
afterEach(async () => {
  const { a, b } = instances;
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await until(() => caps(a).tenantWide(TEXAS) === 0 && caps(b).tenantWide(TEXAS) === 0, 'no stream left');
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
    const { a, b } = instances;
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

describe('an instance that stops', () => {
  it('gives its places back to the others at once, not once they take it for gone', async () => {
    const { a } = instances;
    const c = await startPeerServer(a, ENV);
    let stopped = false;
    try {
      const [onA, onC] = await Promise.all([connect(a), connect(c)]);
      const streams = [subscribe(onA), subscribe(onA), subscribe(onC), subscribe(onC)];
      await until(() => caps(a).tenantWide(TEXAS) === CAP, 'the streams of both instances, as the first knows them');
      const refused = subscribe(onA);
      await until(() => refused.done, 'the refusal');
      expect(refused.errors.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);

      await c.stop();
      stopped = true;
      // Taken for gone only after 10 s without a report: the stopped instance said it holds nothing.
      await until(() => caps(a).tenantWide(TEXAS) === 2, 'the places of the stopped instance', 5000);
      const again = subscribe(onA);
      await until(() => caps(a).count(TEXAS) === 3, 'the new stream');
      expect(again.errors).toEqual([]);
      expect(streams.slice(0, 2).every((stream) => !stream.done)).toBe(true);
    } finally {
      if (!stopped) await c.stop();
    }
  });
});

describe('an instance that died without stopping', () => {
  it('is counted until the others have not heard of it for a full-report period, then its places are free', async () => {
    const { a } = instances;
    // What a crashed instance leaves: its last report, holding the whole cap, written 6 s ago (an
    // instance starting within 6 s reads it; 8 s later it is 14 s old, and taken for gone).
    const { mongodbUri, mongodbDb } = a.app.services.config;
    const mongo = new MongoClient(mongodbUri!);
    try {
      await mongo
        .db(mongodbDb)
        .collection<{ _id: string; [field: string]: unknown }>('rateLimitConsumption')
        .insertOne({
          _id: `crashed:${TEXAS}`,
          instanceId: 'crashed',
          tenantId: TEXAS,
          spent: 0,
          subscriptions: CAP,
          keys: [],
          at: new Date(Date.now() - 6000),
        });
    } finally {
      await mongo.close();
    }
    // An instance that starts reads back over a full-report period: it counts them at first.
    const d = await startPeerServer(a, ENV);
    try {
      await until(() => caps(d).tenantWide(TEXAS) === CAP, "the crashed instance's places");
      await until(() => caps(d).tenantWide(TEXAS) === 0, 'the crashed instance taken for gone', 15_000);
      const stream = subscribe(await connect(d));
      await until(() => caps(d).count(TEXAS) === 1, 'a stream in the freed places');
      expect(stream.errors).toEqual([]);
    } finally {
      await Promise.all(clients.splice(0).map((client) => client.dispose()));
      await d.stop();
    }
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/** The N+1 is gone: a page of parks with their reservations costs the same round trips for 2 or 20 parks. */
let server: TestServer;

const commandsSent = async () => {
  const { values } = await server.app.metrics.databaseCommands.get();
  return values.reduce((sum, { value }) => sum + value, 0);
};

async function roundTripsOf(query: string) {
  const before = await commandsSent();
  const response = await server.as('alice@example.com', query);
  expect(response.errors).toBeUndefined();
  return { trips: (await commandsSent()) - before, data: response.data };
}

const pageOf = (first: number) => `{
  parks(first: ${first}) { nodes { id name reservations(first: 5) { nodes { id partySize park { id name } } } } }
}`;

beforeAll(async () => {
  // The limiter's reconciliation and the usage ledger write on their own timers through the same
  // client: slowed far past this test, so that every command counted is the request's own.
  server = await startTestServer({ RATE_LIMIT_SYNC_MS: '10000', USAGE_FLUSH_MS: '60000' });
  for (let i = 0; i < 20; i += 1) {
    const park = await server.as<{ createPark: { id: string } }>(
      'alice@example.com',
      `mutation { createPark(input: { name: "Extra ${i}" }) { id } }`,
    );
    await server.as(
      'alice@example.com',
      `mutation($park: ID!) { createReservation(input: { parkId: $park, visitorName: "V${i}", visitorEmail: "v${i}@example.com", partySize: 2, date: "2026-12-0${(i % 9) + 1}" }) { id } }`,
      { variables: { park: park.data!.createPark.id } },
    );
  }
});

afterAll(() => server?.stop());

it('20 parks with their reservations and each reservation’s park cost as many round trips as 2', async () => {
  await roundTripsOf(pageOf(2));
  const small = await roundTripsOf(pageOf(2));
  const large = await roundTripsOf(pageOf(20));
  const parks = (large.data as { parks: { nodes: Array<{ reservations: { nodes: unknown[] } }> } }).parks.nodes;
  expect(parks.length).toBe(20);
  expect(parks.filter((park) => park.reservations.nodes.length > 0).length).toBeGreaterThanOrEqual(17);
  expect(large.trips).toBe(small.trips);
  expect(large.trips).toBeLessThanOrEqual(3);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlowWire, type SlowWire } from '../support/slow-wire.js';
import { startPeerServer, startTestServer, type TestServer } from '../support/server.js';

/**
 * Execution places grow while operations wait on the database rather than on the event loop
 * (src/limits/execution-places.ts). An instance with two places reads through a database 25 ms away
 * in each direction: its event loop idles while one tenant's operations wait for a place, so it
 * lets more of them wait on the database at once. With a fixed number of places (the ceiling equal
 * to the floor) the database never sees more than two of them.
 */
const LIST = '{ parks(first: 5) { nodes { id name } } }';
const AT_ONCE = 16;

let seeded: TestServer;
let wire: SlowWire;
const instances: TestServer[] = [];

beforeAll(async () => {
  seeded = await startTestServer();
  wire = await startSlowWire(seeded.app.services.config.mongodbUri!, 'parks');
});
afterAll(async () => {
  for (const instance of instances) await instance.stop();
  await wire?.close();
  await seeded?.stop();
});

/** An instance with two places through the slow wire; the most parks reads it had in flight at once. */
async function readsInFlightAtOnce(ceiling: number): Promise<number> {
  wire.delayMs = 0;
  const instance = await startPeerServer(seeded, {
    MONGODB_URI: wire.uri,
    EXECUTION_CONCURRENCY: '2',
    EXECUTION_CONCURRENCY_MAX: String(ceiling),
  });
  instances.push(instance);
  const token = await seeded.token('alice@example.com');
  expect((await instance.gql(LIST, { auth: token })).status).toBe(200);
  wire.delayMs = 25;
  wire.takeMostReadsInFlight();
  for (let round = 0; round < 3; round += 1) {
    const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => instance.gql(LIST, { auth: token })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(AT_ONCE).fill(200));
  }
  return wire.takeMostReadsInFlight();
}

describe('execution places and a remote database', () => {
  it('lets more operations of a tenant wait on the database at once while the event loop idles', async () => {
    expect(await readsInFlightAtOnce(16)).toBeGreaterThan(2);
  });

  it('holds them to the fixed number when the ceiling is the floor', async () => {
    expect(await readsInFlightAtOnce(2)).toBeLessThanOrEqual(2);
  });
});

import { expect } from 'vitest';
import type { TestServer } from './server.js';

/**
 * An operation of 20 points, estimated and actual alike, that reads nothing from the database: in a
 * flood of it, the limit is what binds.
 */
export const TWENTY_POINTS = `{ ${Array.from({ length: 10 }, (_, i) => `v${i}: viewer { tenant { id } }`).join(' ')} }`;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `query` with the credential `auth` from `workers` loops until `deadline` (Date.now()); returns
 * the cost points admitted (`extensions.cost.actual` of each 200). Every other answer must be a 429,
 * after which the worker pauses a little: all of this runs in the servers' process, and a spinning
 * client would starve them.
 */
export async function floodAdmitted(
  server: TestServer,
  query: string,
  auth: string,
  deadline: number,
  workers: number,
): Promise<number> {
  let admitted = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < deadline) {
        const response = await server.gql(query, { auth });
        const cost = (response as unknown as { extensions?: { cost?: { actual: number } } }).extensions?.cost;
        if (response.status === 200) admitted += cost!.actual;
        else {
          expect(response.status).toBe(429);
          await pause(10);
        }
      }
    }),
  );
  return admitted;
}

/**
 * Floods two instances on one database at once with the same credential for `ms`, three loops each,
 * and checks that together they admitted what one bucket of `bucket` points restored at `rate` a
 * second allows in that time: at most 25% more (each instance alone would admit about all of it, so
 * without the exchange between them the two admit about twice), and at least half (the limit is not
 * held by refusing what it allows). Each instance must admit something.
 */
export async function expectOneBudgetAcross(
  [a, b]: [TestServer, TestServer],
  query: string,
  auth: string,
  { ms, bucket, rate }: { ms: number; bucket: number; rate: number },
): Promise<void> {
  const started = Date.now();
  const deadline = started + ms;
  const [onA, onB] = await Promise.all([
    floodAdmitted(a, query, auth, deadline, 3),
    floodAdmitted(b, query, auth, deadline, 3),
  ]);
  const limit = bucket + (rate * (Date.now() - started)) / 1000;
  expect(onA).toBeGreaterThan(0);
  expect(onB).toBeGreaterThan(0);
  expect(onA + onB).toBeLessThanOrEqual(limit * 1.25);
  expect(onA + onB).toBeGreaterThanOrEqual(limit * 0.5);
}

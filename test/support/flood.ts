import { expect } from 'vitest';
import type { TestServer } from './server.js';

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

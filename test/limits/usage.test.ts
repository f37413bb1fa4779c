import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestServer, type TestServer } from '../support/server.js';

const ERIN = 'erin@example.com'; // texas analyst
const ALICE = 'alice@example.com'; // texas admin
const CAROL = 'carol@example.com'; // colorado admin and analyst

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    // A texas bucket that 100 pages of 10 exhaust even when they arrive one after the other (each costs
    // at least 4 once refunded to its actual cost), full again within 4 s.
    PLANS: JSON.stringify({ standard: { bucketSize: 200, restoreRate: 50 } }),
  });
});
afterAll(() => server?.stop());

const USAGE = `query ($from: DateTime!, $to: DateTime!) { usage(from: $from, to: $to) {
  hour requests costAdmitted requestsThrottled rowsExported eventsDelivered bytesSent } }`;

interface Hour {
  hour: string;
  requests: number;
  costAdmitted: number;
  requestsThrottled: number;
  bytesSent: number;
}

const range = () => ({
  from: new Date(Date.now() - 3_600_000).toISOString(),
  to: new Date(Date.now() + 3_600_000).toISOString(),
});

async function usageOf(email: string): Promise<Hour[]> {
  const response = await server.as<{ usage: Hour[] }>(email, USAGE, { variables: range() });
  expect(response.errors).toBeUndefined();
  return response.data!.usage;
}

describe('the usage ledger', () => {
  it.each([
    ['a viewer', 'dave@example.com'],
    ['an editor', 'bob@example.com'],
    ['an integrator', 'frank@example.com'],
  ])('is refused to %s', async (_who, email) => {
    const response = await server.as(email, USAGE, { variables: range() });
    expect(codes(response)).toEqual(['FORBIDDEN']);
  });

  it('refuses a range that is reversed or longer than 31 days', async () => {
    const reversed = await server.as(CAROL, USAGE, { variables: { from: range().to, to: range().from } });
    expect(codes(reversed)).toEqual(['BAD_USER_INPUT']);
    const long = await server.as(CAROL, USAGE, {
      variables: { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' },
    });
    expect(codes(long)).toEqual(['BAD_USER_INPUT']);
  });

  // Last: it empties texas's bucket, which the refusals above must not meet.
  it('counts per tenant and hour the requests, the cost admitted, those throttled and the bytes sent', async () => {
    const token = await server.token(ALICE);
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => server.gql('{ parks(first: 10) { nodes { id } } }', { auth: token })),
    );
    const throttled = responses.filter((response) => response.status === 429).length;
    const admitted = responses.filter((response) => response.status === 200);
    expect(throttled).toBeGreaterThan(0);
    const actual = admitted.reduce(
      (sum, response) =>
        sum + (response as unknown as { extensions: { cost: { actual: number } } }).extensions.cost.actual,
      0,
    );
    await server.app.services.limits.usage.flush();
    // Reading the ledger costs from the same bucket: once it is full again, as the answers said (`t`).
    const refilled = responses.map((response) => Number(/t=(\d+)/.exec(response.headers.get('ratelimit') ?? '')?.[1]));
    await delay(Math.max(...refilled) * 1000);
    const [hour, ...others] = await usageOf(ERIN);
    expect(others).toEqual([]);
    expect(new Date(hour!.hour).getUTCMinutes()).toBe(0);
    expect(hour!.requestsThrottled).toBe(throttled);
    expect(hour!.costAdmitted).toBeGreaterThanOrEqual(actual);
    expect(hour!.bytesSent).toBeGreaterThan(0);

    // Another tenant's ledger holds none of it.
    const colorado = await usageOf(CAROL);
    expect(colorado.every((entry) => entry.requestsThrottled === 0 && entry.requests < 100)).toBe(true);
  });
});

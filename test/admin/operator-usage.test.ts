import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest, asOperator } from '../support/admin.js';
import { codes, startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';

/**
 * The usage ledger through the operator API (CONTRACT.md section 9: "the operator API returns it for
 * any tenant"): the same hours a tenant's ADMIN reads with `Query.usage`, for any tenant by slug, to
 * operators only, with the same checks of the range.
 */
const USAGE = `query ($tenant: String!, $from: String!, $to: String!) {
  usage(tenant: $tenant, from: $from, to: $to) { hour requests costAdmitted requestsThrottled bytesSent }
}`;
interface UsageHour {
  hour: string;
  requests: number;
  costAdmitted: number;
  requestsThrottled: number;
  bytesSent: number;
}

let server: TestServer;
const from = new Date(Date.now() - 3600_000).toISOString();
const to = () => new Date(Date.now() + 60_000).toISOString();

beforeAll(async () => {
  server = await startTestServer({ USAGE_FLUSH_MS: '50' });
});
afterAll(() => server?.stop());

const requestsOf = (hours: UsageHour[]) => hours.reduce((sum, hour) => sum + hour.requests, 0);
const operatorUsage = (tenant: string, range: { from: string; to: string } = { from, to: to() }) =>
  asOperator<{ usage: UsageHour[] }>(server, USAGE, { tenant, ...range });

describe('an operator reads any tenant’s usage ledger', () => {
  it('sees the hours of the tenant named, as its ADMIN sees them with Query.usage, and no other tenant’s', async () => {
    const before = requestsOf((await operatorUsage('washington')).data!.usage);
    for (let i = 0; i < 5; i += 1)
      expect((await server.as('alice@example.com', '{ parks { nodes { id } } }')).status).toBe(200);

    let texas: UsageHour[] = [];
    await until(async () => {
      texas = (await operatorUsage('texas')).data!.usage;
      return requestsOf(texas) >= 5;
    }, 'texas usage in the ledger');
    expect(texas[0]).toMatchObject({ hour: expect.stringMatching(/T\d\d:00:00\.000Z$/) });
    expect(texas.every((hour) => hour.costAdmitted >= 0 && hour.bytesSent > 0)).toBe(true);

    const own = await server.as<{ usage: UsageHour[] }>(
      'alice@example.com',
      'query ($from: DateTime!, $to: DateTime!) { usage(from: $from, to: $to) { hour requests costAdmitted requestsThrottled bytesSent } }',
      { variables: { from, to: to() } },
    );
    expect(own.errors).toBeUndefined();
    const operatorView = (await operatorUsage('texas')).data!.usage;
    expect(own.data!.usage.map((hour) => hour.hour)).toEqual(operatorView.map((hour) => hour.hour));

    expect(requestsOf((await operatorUsage('washington')).data!.usage)).toBe(before);
  });

  it('refuses a bad range or an unknown tenant, naming what is wrong', async () => {
    const now = Date.now();
    const refusals = [
      await operatorUsage('texas', { from: 'yesterday', to: to() }),
      await operatorUsage('texas', { from: new Date(now).toISOString(), to: new Date(now - 1000).toISOString() }),
      await operatorUsage('texas', {
        from: new Date(now - 32 * 24 * 3600_000).toISOString(),
        to: new Date(now).toISOString(),
      }),
    ];
    expect(refusals.map(codes)).toEqual([['BAD_USER_INPUT'], ['BAD_USER_INPUT'], ['BAD_USER_INPUT']]);
    expect(refusals.map((refusal) => refusal.errors![0]!.message)).toEqual([
      expect.stringContaining('from'),
      expect.stringContaining('after from'),
      expect.stringContaining('31 days'),
    ]);
    expect(codes(await operatorUsage('atlantis'))).toEqual(['NOT_FOUND']);
  });

  it('is not for a tenant’s ADMIN, nor for an ANALYST, through the operator API', async () => {
    for (const email of ['alice@example.com', 'erin@example.com']) {
      const refused = await adminRequest(server, USAGE, {
        variables: { tenant: 'washington', from, to: to() },
        headers: { authorization: `Bearer ${await server.token(email)}` },
      });
      expect(refused.status).toBe(403);
      expect(refused.data).toBeUndefined();
    }
  });
});

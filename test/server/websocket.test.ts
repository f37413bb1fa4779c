import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ALIASES, MAX_TOKENS } from '../../src/limits/query-limits.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { closeCode, runOnce, wsClient, wsErrorCodes, wsUrl } from '../support/graphql-ws.js';
import { expectNoLeak } from '../support/leaks.js';

/** graphql-transport-ws on /graphql (CONTRACT.md section 2), with the graphql-ws client and `ws`. */
let server: TestServer;
const clients: Array<{ dispose(): void | Promise<void> }> = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await server?.stop();
});

function connect(connectionParams: Record<string, unknown> | undefined) {
  const made = wsClient(wsUrl(server.url), connectionParams ? { connectionParams } : {});
  clients.push(made.client);
  return made;
}

const VIEWER = '{ viewer { user { email } tenant { slug } roles } }';

describe('connection_init carries the credentials', () => {
  it('a query with `authorization` and `X-Tenant-ID` (mixed case) returns data in that tenant', async () => {
    const { client } = connect({
      authorization: `Bearer ${await server.token('alice@example.com')}`,
      'X-Tenant-ID': 'texas',
    });
    const outcome = await runOnce(client, { query: VIEWER });
    expect(outcome.error).toBeUndefined();
    expect(outcome.result?.errors).toBeUndefined();
    expect(outcome.result?.data).toEqual({
      viewer: { user: { email: 'alice@example.com' }, tenant: { slug: 'texas' }, roles: ['ADMIN'] },
    });
  });

  it('keys are matched in any case, and X-Tenant-ID really selects the tenant', async () => {
    const { client } = connect({
      AUTHORIZATION: `Bearer ${await server.token('alice@example.com')}`,
      'x-TENANT-id': 'washington',
    });
    const outcome = await runOnce(client, { query: VIEWER });
    expect(outcome.result?.data).toEqual({
      viewer: { user: { email: 'alice@example.com' }, tenant: { slug: 'washington' }, roles: ['VIEWER'] },
    });
  });

  it('several operations share one connection', async () => {
    const { client } = connect({ authorization: `Bearer ${await server.token('bob@example.com')}` });
    const [first, second] = await Promise.all([
      runOnce(client, { query: '{ viewer { tenant { slug } } }' }),
      runOnce(client, { query: '{ parks(first: 1) { nodes { id } } }' }),
    ]);
    expect(first.result?.data).toEqual({ viewer: { tenant: { slug: 'washington' } } });
    expect(second.result?.errors).toBeUndefined();
  });

  it.each([
    ['a bad token', () => ({ authorization: 'Bearer not.a.jwt' })],
    ['no credentials', () => undefined],
    [
      'a token signed by the server’s key for an unknown user with an unverified address',
      async () => ({
        authorization: `Bearer ${await server.signRaw({
          sub: 'nobody@example.com',
          email: 'nobody@example.com',
          iss: server.issuer.issuer,
          aud: server.issuer.audience,
          exp: Math.floor(Date.now() / 1000) + 600,
        })}`,
      }),
    ],
    [
      'an expired token',
      async () => ({
        authorization: `Bearer ${await server.signRaw({
          sub: 'alice@example.com',
          iss: server.issuer.issuer,
          aud: server.issuer.audience,
          exp: Math.floor(Date.now() / 1000) - 60,
        })}`,
      }),
    ],
    [
      'a tenant the user is not a member of',
      async () => ({
        authorization: `Bearer ${await server.token('mallory@example.com')}`,
        'x-tenant-id': 'texas',
      }),
    ],
  ])('%s: the socket is closed with 4403', async (_name, params) => {
    const { client, closes } = connect(await params());
    const outcome = await runOnce(client, { query: VIEWER });
    expect(outcome.result).toBeUndefined();
    expect(closeCode(outcome.error)).toBe(4403);
    expect(closes.map((close) => close.code)).toEqual([4403]);
    expectNoLeak(closes);
  });
});

describe('the same rules as over HTTP', () => {
  const alice = async () => connect({ authorization: `Bearer ${await server.token('alice@example.com')}` }).client;

  const expectRefused = async (query: string, variables?: Record<string, unknown>) => {
    const outcome = await runOnce(await alice(), { query, ...(variables ? { variables } : {}) });
    const errors = (Array.isArray(outcome.error) ? outcome.error : outcome.result?.errors) as
      | Array<{ message: string; extensions?: { code?: unknown } }>
      | undefined;
    expect(errors?.length ?? 0).toBeGreaterThan(0);
    expect(outcome.result?.data ?? null).toBeNull();
    for (const error of errors ?? []) {
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message).not.toMatch(/did you mean/i);
    }
    expectNoLeak(errors);
    return errors!;
  };

  it.each([
    ['too deep', '{ parks { edges { node { reservations { edges { node { park { id } } } } } } } }', /depth/i],
    [
      'too many aliases',
      `{ ${Array.from({ length: MAX_ALIASES + 1 }, (_, i) => `a${i}: viewer { roles }`).join(' ')} }`,
      /alias/i,
    ],
    [
      'too many tokens',
      `{ ${'...F '.repeat((MAX_TOKENS - 10) / 2)}} fragment F on Query { viewer { roles } }`,
      /token/i,
    ],
    ['too costly', '{ parks(first: 100) { nodes { reservations(first: 100) { nodes { id } } } } }', /cost/i],
  ])('a query %s is refused with BAD_USER_INPUT', async (_name, query, limit) => {
    const errors = await expectRefused(query);
    expect(errors.map((error) => error.message).join('\n')).toMatch(limit);
  });

  it('a legitimate query at the depth limit is served', async () => {
    const outcome = await runOnce(await alice(), {
      query: '{ parks(first: 2) { edges { node { reservations(first: 2) { edges { node { id } } } } } } }',
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.result?.errors).toBeUndefined();
  });

  it('a syntax error is BAD_USER_INPUT', async () => {
    await expectRefused('{ viewer { roles');
  });

  it('a validation error is BAD_USER_INPUT without suggestions', async () => {
    await expectRefused('{ parkz { nodes { id } } }');
    await expectRefused('{ reservationStats(groupBy: PARKS) { key } }');
  });

  it('a variable that does not coerce is BAD_USER_INPUT without suggestions', async () => {
    await expectRefused('query ($by: ReservationStatsGroupBy!) { reservationStats(groupBy: $by) { key } }', {
      by: 'MONTHS',
    });
  });

  it('a field the caller may not read is FORBIDDEN, with a code', async () => {
    const client = connect({ authorization: `Bearer ${await server.token('dave@example.com')}` }).client;
    const outcome = await runOnce(client, { query: '{ members { roles } }' });
    expect(wsErrorCodes(outcome.result?.errors)).toEqual(['FORBIDDEN']);
    expectNoLeak(outcome.result);
  });
});

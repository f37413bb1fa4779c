import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  bearer,
  createKey,
  expectForbiddenClose,
  expiryOf,
  openStream,
  revokeKey,
  WITHIN_MS,
  type Stream,
} from './support.js';
import { runOnce } from '../support/graphql-ws.js';

/**
 * CONTRACT.md section 6: when a subscriber's credentials expire or are revoked, the stream ends
 * with 4403 within a second. One instance here; cross-instance.test.ts commits on another one.
 */
let server: TestServer;
const streams: Stream[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await Promise.all(streams.splice(0).map((stream) => stream.dispose()));
});
afterAll(() => server?.stop());

const open = async (params: Record<string, unknown>) => {
  const stream = await openStream(server, params);
  streams.push(stream);
  return stream;
};

describe('expiry', () => {
  it('a token expiring mid-connection ends the stream with 4403 within a second of its exp', async () => {
    // ttl 3 s: the dev issuer rounds `iat` down to the second, so the token lives 2 to 3 s.
    const token = await server.token('frank@example.com', { ttlSeconds: 3 });
    const expiresAt = expiryOf(token);
    const stream = await open(bearer(token));
    expect(await stream.closedWithin(0)).toBeNull();
    const closed = await expectForbiddenClose(stream, expiresAt);
    expect(closed.reason).toBe('Credentials expired');
    // Not before the expiry either (timers may fire a few ms early against Date.now()).
    expect(closed.at).toBeGreaterThanOrEqual(expiresAt - 50);
  });

  it('an API key reaching its expiresAt mid-connection ends the stream with 4403', async () => {
    const expiresAt = Date.now() + 2000;
    const created = await server.as<{ createApiKey: { secret: string } }>(
      'alice@example.com',
      'mutation ($at: DateTime) { createApiKey(input: { name: "short", roles: [INTEGRATOR], expiresAt: $at }) { secret } }',
      { variables: { at: new Date(expiresAt).toISOString() }, tenant: 'texas' },
    );
    expect(created.errors).toBeUndefined();
    const stream = await open(bearer(created.data!.createApiKey.secret));
    expect(await stream.closedWithin(0)).toBeNull();
    const closed = await expectForbiddenClose(stream, expiresAt);
    expect(closed.at).toBeGreaterThanOrEqual(expiresAt - 50);
  });

  it('a token that has not expired keeps its connection open', async () => {
    const stream = await open(bearer(await server.token('frank@example.com', { ttlSeconds: 600 })));
    expect(await stream.closedWithin(WITHIN_MS)).toBeNull();
    const result = (await runOnce(stream.client, { query: '{ viewer { roles } }' })).result;
    expect(result).toEqual({ data: { viewer: { roles: ['INTEGRATOR'] } }, extensions: { cost: expect.any(Object) } });
  });
});

describe('revocation on the same instance', () => {
  it('revoking the API key a connection uses ends it with 4403 within a second', async () => {
    const key = await createKey(server, ['INTEGRATOR']);
    const other = await createKey(server, ['INTEGRATOR']);
    const stream = await open(bearer(key.secret));
    const bystander = await open({ 'x-api-key': other.secret });
    const since = Date.now();
    await revokeKey(server, key.id);
    const closed = await expectForbiddenClose(stream, since);
    expect(closed.reason).toMatch(/^Forbidden/);
    // Another key of the same tenant is not affected.
    expect(await bystander.closedWithin(500)).toBeNull();
  });
});

describe('refused connections', () => {
  it.each([
    ['a bad token', () => bearer('not.a.jwt')],
    [
      'an expired token',
      async () =>
        bearer(
          await server.signRaw({
            sub: 'frank@example.com',
            iss: server.issuer.issuer,
            aud: server.issuer.audience,
            exp: Math.floor(Date.now() / 1000) - 60,
          }),
        ),
    ],
    [
      'a revoked API key',
      async () => {
        const key = await createKey(server, ['INTEGRATOR']);
        await revokeKey(server, key.id);
        return bearer(key.secret);
      },
    ],
  ])('%s: closed with 4403 at connect', async (_name, params) => {
    const stream = await open(await params());
    const closed = await stream.closedWithin(WITHIN_MS);
    expect(closed?.code).toBe(4403);
  });
});

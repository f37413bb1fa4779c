import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { closeCode, runOnce, webSocketFrom, wsClient, wsUrl } from '../support/graphql-ws.js';
import { rawCodes, rawPost } from '../support/raw-http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const BURST = 3;
const THROTTLE = { AUTH_FAILURE_BURST: String(BURST), AUTH_FAILURE_RETRY_SECONDS: '60' };
/** The trusted proxy's address: the server listens on 127.0.0.1, reached from any 127.x.y.z. */
const PROXY = '127.0.0.2';
const QUERY = '{ viewer { roles } }';
const FORGED = 'Bearer not-a-token';

/** Asks `QUERY` from the connection's address `from`, with an `X-Forwarded-For` when given. */
function ask(server: TestServer, from: string, authorization: string, forwardedFor?: string) {
  const headers: Record<string, string> = { authorization };
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  return rawPost(server.url, headers, QUERY, undefined, { localAddress: from });
}

/** Connects over WebSocket from `from` with an upgrade `X-Forwarded-For`, and runs `QUERY` once. */
async function askOverWebSocket(server: TestServer, from: string, authorization: string, forwardedFor: string) {
  const { client } = wsClient(wsUrl(server.url), {
    webSocketImpl: webSocketFrom(from, { 'x-forwarded-for': forwardedFor }),
    connectionParams: { authorization },
  });
  try {
    return await runOnce(client, { query: QUERY });
  } finally {
    await client.dispose();
  }
}

describe('TRUST_PROXY', () => {
  it('reads false, a hop count, or addresses and ranges; refuses true and what is not an address', () => {
    const base = { MONGODB_URI: 'mongodb://localhost/x' };
    for (const value of ['false', '0', '2', '10.0.0.1', '10.0.0.0/8, loopback', 'uniquelocal,::1']) {
      expect(() => loadConfig({ ...base, TRUST_PROXY: value })).not.toThrow();
    }
    for (const value of ['true', '10.0.0.300', 'proxy.example.com', '10.0.0.0/40']) {
      const attempt = () => loadConfig({ ...base, TRUST_PROXY: value });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/^TRUST_PROXY: expected false, a number of proxy hops/);
    }
  });
});

describe('by default, trusting no proxy', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(THROTTLE);
  });
  afterAll(() => server?.stop());

  it('throttles the TCP peer whatever X-Forwarded-For it writes', async () => {
    for (let attempt = 0; attempt < BURST; attempt++) {
      expect(rawCodes(await ask(server, '127.0.0.3', FORGED, `198.51.100.${attempt}`))).toEqual(['UNAUTHENTICATED']);
    }
    const valid = `Bearer ${await server.token('alice@example.com')}`;
    const refused = await ask(server, '127.0.0.3', valid, '198.51.100.99');
    expect(refused.status).toBe(429);
    expect(rawCodes(refused)).toEqual(['RATE_LIMITED']);
  });
});

describe(`behind a trusted proxy (TRUST_PROXY=${PROXY})`, () => {
  let server: TestServer;
  let valid: string;
  beforeAll(async () => {
    server = await startTestServer({ ...THROTTLE, TRUST_PROXY: PROXY });
    valid = `Bearer ${await server.token('alice@example.com')}`;
  });
  afterAll(() => server?.stop());

  it('a client that is not the proxy, writing a fresh X-Forwarded-For each time, is still throttled', async () => {
    for (let attempt = 0; attempt < BURST; attempt++) {
      expect(rawCodes(await ask(server, '127.0.0.4', FORGED, `198.51.100.${attempt}`))).toEqual(['UNAUTHENTICATED']);
    }
    const refused = await ask(server, '127.0.0.4', valid, '198.51.100.99');
    expect(refused.status).toBe(429);
    expect(rawCodes(refused)).toEqual(['RATE_LIMITED']);
    // Over WebSocket too: the upgrade's X-Forwarded-For is not believed either.
    const overWebSocket = await askOverWebSocket(server, '127.0.0.4', valid, '198.51.100.98');
    expect(closeCode(overWebSocket.error)).toBe(4403);
  });

  it('throttles the clients it forwards one by one, whatever a client prepends to X-Forwarded-For', async () => {
    for (let attempt = 0; attempt < BURST; attempt++) {
      expect(rawCodes(await ask(server, PROXY, FORGED, '203.0.113.1'))).toEqual(['UNAUTHENTICATED']);
    }
    expect((await ask(server, PROXY, valid, '203.0.113.1')).status).toBe(429);
    // The client writes an address of its own choosing; the proxy appends the one it saw.
    expect((await ask(server, PROXY, valid, '203.0.113.50, 203.0.113.1')).status).toBe(429);
    // Another client behind the same proxy is not throttled, nor is the proxy itself.
    const other = await ask(server, PROXY, valid, '203.0.113.2');
    expect(other.status).toBe(200);
    expect(rawCodes(other)).toEqual([]);
    expect((await ask(server, PROXY, valid)).status).toBe(200);
  });

  it('counts an IPv6 client by its /64 network: cycling through its addresses does not reset the count', async () => {
    for (let attempt = 0; attempt < BURST; attempt++) {
      const address = `2001:db8:7:1::${(attempt + 1).toString(16)}`;
      expect(rawCodes(await ask(server, PROXY, FORGED, address))).toEqual(['UNAUTHENTICATED']);
    }
    expect((await ask(server, PROXY, valid, '2001:db8:7:1:ffff:ffff:ffff:fffe')).status).toBe(429);
    expect((await ask(server, PROXY, valid, '2001:db8:7:2::1')).status).toBe(200);
  });

  it('over WebSocket, takes the client from the upgrade request: failures there count, per forwarded client', async () => {
    for (let attempt = 0; attempt < BURST; attempt++) {
      const refused = await askOverWebSocket(server, PROXY, FORGED, '203.0.113.7');
      expect(closeCode(refused.error)).toBe(4403);
    }
    // The failures counted against that client, on HTTP as well.
    expect((await ask(server, PROXY, valid, '203.0.113.7')).status).toBe(429);
    expect(closeCode((await askOverWebSocket(server, PROXY, valid, '203.0.113.7')).error)).toBe(4403);
    // Another client through the same proxy connects.
    const other = await askOverWebSocket(server, PROXY, valid, '203.0.113.8');
    expect(other.result).toEqual({ data: { viewer: { roles: ['ADMIN'] } }, extensions: { cost: expect.any(Object) } });
  });
});

import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestServer, type GraphQLResponse, type TestServer } from '../support/server.js';
import { closeCode, runOnce, wsClient, wsUrl } from '../support/graphql-ws.js';
import { scrape, metricValue } from '../support/metrics.js';
import { expectNoLeak } from '../support/leaks.js';

/** GATEWAY_SECRET (CONTRACT.md section 8): only requests carrying it in Router-Authorization are served. */
const SECRET = 'router-to-subgraph-secret-0123456789';
const QUERY = '{ viewer { user { email } } }';

let server: TestServer;
let alice: string;

beforeAll(async () => {
  server = await startTestServer({ GATEWAY_SECRET: SECRET });
  alice = await server.token('alice@example.com');
});
afterAll(() => server?.stop());

/**
 * GraphQL requests Apollo has seen, refused ones included (a failed context counts too). Database
 * commands are not compared: background change streams may issue some at any time.
 */
const requestsSeen = async () => metricValue(await scrape(server.url), 'tenantgraph_graphql_requests_total');

async function post(headers: Record<string, string>, body = JSON.stringify({ query: QUERY })) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  expectNoLeak(text);
  return { status: response.status, headers: response.headers, ...(JSON.parse(text) as object) } as GraphQLResponse;
}

describe('over HTTP', () => {
  it.each([
    ['no Router-Authorization', {}],
    ['a wrong one', { 'router-authorization': `${SECRET}x` }],
    ['a prefix of it', { 'router-authorization': SECRET.slice(0, 16) }],
    ['an empty one', { 'router-authorization': '' }],
    ['the secret as a Bearer value', { 'router-authorization': `Bearer ${SECRET}` }],
  ])('%s, even with a valid user token: 401 UNAUTHENTICATED before any work', async (_name, headers) => {
    const before = await requestsSeen();
    const response = await post({ ...headers, authorization: `Bearer ${alice}` });
    expect(response.status).toBe(401);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.data ?? null).toBeNull();
    expect(await requestsSeen()).toBe(before);
  });

  it('is refused before the body is even parsed', async () => {
    const response = await post({ authorization: `Bearer ${alice}` }, '{ this is not JSON');
    expect(response.status).toBe(401);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('is refused for GET too', async () => {
    const response = await fetch(`${server.url}/graphql?query=${encodeURIComponent(QUERY)}`, {
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(response.status).toBe(401);
  });

  it('with the right secret and the user’s token: served as that user', async () => {
    const before = await requestsSeen();
    const response = await post({ 'router-authorization': SECRET, authorization: `Bearer ${alice}` });
    expect(await requestsSeen()).toBe(before + 1);
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ viewer: { user: { email: 'alice@example.com' } } });
  });

  it('with the right secret but no user credentials: still 401 (the secret never stands in for the caller)', async () => {
    const response = await post({ 'router-authorization': SECRET });
    expect(response.status).toBe(401);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.data ?? null).toBeNull();
  });

  it('with the right secret and a bad user token: still 401', async () => {
    const response = await post({ 'router-authorization': SECRET, authorization: 'Bearer not-a-token' });
    expect(response.status).toBe(401);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('the operator routes stay open (they are not the gateway’s)', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});

/** A `ws` WebSocket that sends Router-Authorization in its upgrade request, as a router would. */
const withHeaders = (headers: Record<string, string>) =>
  class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  };

describe('over WebSocket', () => {
  it('a connection without the secret is closed 4403, even with a valid token', async () => {
    const { client, closes } = wsClient(wsUrl(server.url), {
      connectionParams: { authorization: `Bearer ${alice}` },
    });
    const outcome = await runOnce(client, { query: QUERY });
    expect(outcome.result).toBeUndefined();
    expect(closeCode(outcome.error)).toBe(4403);
    expect(closes.map((close) => close.code)).toEqual([4403]);
    await client.dispose();
  });

  it('a connection with a wrong secret is closed 4403', async () => {
    const { client } = wsClient(wsUrl(server.url), {
      connectionParams: { authorization: `Bearer ${alice}` },
      webSocketImpl: withHeaders({ 'router-authorization': 'wrong-secret-wrong-secret' }),
    });
    const outcome = await runOnce(client, { query: QUERY });
    expect(closeCode(outcome.error)).toBe(4403);
    await client.dispose();
  });

  it('a connection with the secret and the user’s token is served', async () => {
    const { client } = wsClient(wsUrl(server.url), {
      connectionParams: { authorization: `Bearer ${alice}` },
      webSocketImpl: withHeaders({ 'router-authorization': SECRET }),
    });
    const outcome = await runOnce(client, { query: QUERY });
    expect(outcome.error).toBeUndefined();
    expect(outcome.result?.data).toEqual({ viewer: { user: { email: 'alice@example.com' } } });
    await client.dispose();
  });

  it('a connection with the secret but no user credentials is closed 4403', async () => {
    const { client } = wsClient(wsUrl(server.url), {
      webSocketImpl: withHeaders({ 'router-authorization': SECRET }),
    });
    const outcome = await runOnce(client, { query: QUERY });
    expect(closeCode(outcome.error)).toBe(4403);
    await client.dispose();
  });
});

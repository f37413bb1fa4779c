import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * /metrics names no tenant but still tells a lot about a deployment: without METRICS_TOKEN only
 * loopback clients get it; with it, only a bearer of the token, wherever they connect from.
 * A client on another host is simulated by rewriting the server-side socket's remote address
 * (what the TCP connection says, the only thing the rule trusts): the request still travels over
 * loopback, so the test stays hermetic.
 */
const TOKEN = 'metrics-token-0123456789abcdef';
const REMOTE = '203.0.113.7';

let open: TestServer;
let guarded: TestServer;

beforeAll(async () => {
  [open, guarded] = await Promise.all([startTestServer(), startTestServer({ METRICS_TOKEN: TOKEN })]);
});
afterAll(() => Promise.all([open?.stop(), guarded?.stop()]));

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET /metrics on a fresh connection (no pooled socket), optionally seen by the server as from `from`. */
function scrape(server: TestServer, headers: Record<string, string> = {}, from?: string): Promise<Answer> {
  const disguise = (socket: Socket) => {
    if (from !== undefined) Object.defineProperty(socket, 'remoteAddress', { value: from });
  };
  server.app.httpServer.prependListener('connection', disguise);
  return new Promise<Answer>((resolve, reject) => {
    const req = request(`${server.url}/metrics`, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  }).finally(() => server.app.httpServer.off('connection', disguise));
}

const isMetrics = (answer: Answer) =>
  answer.status === 200 && answer.body.includes('tenantgraph_graphql_requests_total');

describe('without METRICS_TOKEN', () => {
  it('serves a loopback client', async () => {
    expect(isMetrics(await scrape(open))).toBe(true);
    expect(isMetrics(await scrape(open, {}, '::ffff:127.0.0.1'))).toBe(true);
    expect(isMetrics(await scrape(open, {}, '::1'))).toBe(true);
  });

  it.each([REMOTE, '::ffff:203.0.113.7', 'fd00::7', '128.0.0.1'])('refuses a client at %s with 403', async (from) => {
    const answer = await scrape(open, {}, from);
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain('tenantgraph_');
  });

  it('does not trust X-Forwarded-For or Forwarded to claim loopback', async () => {
    const claims: Record<string, string>[] = [
      { 'x-forwarded-for': '127.0.0.1' },
      { 'x-forwarded-for': '127.0.0.1, 127.0.0.1' },
      { forwarded: 'for=127.0.0.1' },
      { 'x-real-ip': '127.0.0.1' },
    ];
    for (const headers of claims) expect((await scrape(open, headers, REMOTE)).status).toBe(403);
  });

  it('does not let a token in take the place of loopback', async () => {
    expect((await scrape(open, { authorization: `Bearer ${TOKEN}` }, REMOTE)).status).toBe(403);
  });
});

describe('with METRICS_TOKEN', () => {
  it('serves the bearer of the token from anywhere', async () => {
    expect(isMetrics(await scrape(guarded, { authorization: `Bearer ${TOKEN}` }, REMOTE))).toBe(true);
    expect(isMetrics(await scrape(guarded, { authorization: `bearer ${TOKEN}` }))).toBe(true);
  });

  it.each([
    ['no credentials', {}],
    ['a wrong token', { authorization: 'Bearer metrics-token-0123456789abcdeX' }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['the token with more after it', { authorization: `Bearer ${TOKEN}0` }],
    ['the token as Basic credentials', { authorization: `Basic ${TOKEN}` }],
    ['the token without a scheme', { authorization: TOKEN }],
    ['the token in another header', { 'x-metrics-token': TOKEN }],
  ])('answers 401 to %s, even on loopback', async (_name, headers) => {
    const answer = await scrape(guarded, headers);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(answer.body).not.toContain('tenantgraph_');
  });
});

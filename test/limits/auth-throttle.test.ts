import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, scrape } from '../support/metrics.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const BURST = 5;
beforeAll(async () => {
  // The exchange between instances reads the database on its own timer: slowed far past this test, so
  // that every command counted is a request's own.
  server = await startTestServer({
    AUTH_FAILURE_BURST: String(BURST),
    AUTH_FAILURE_RETRY_SECONDS: '60',
    RATE_LIMIT_SYNC_MS: '10000',
  });
});
afterAll(() => server?.stop());

interface Answer {
  status: number;
  retryAfter: string | undefined;
  codes: unknown[];
}

/** POSTs `{ viewer { roles } }` from the given local address (any 127.x.y.z is this host). */
function ask(authorization: string, localAddress = '127.0.0.1'): Promise<Answer> {
  const body = JSON.stringify({ query: '{ viewer { roles } }' });
  const url = new URL(`${server.url}/graphql`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', authorization },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => {
          const errors = (JSON.parse(text) as { errors?: Array<{ extensions?: { code?: unknown } }> }).errors ?? [];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
            codes: errors.map((error) => error.extensions?.code),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const databaseCommands = async () => metricValue(await scrape(server.url), 'tenantgraph_database_commands_total');

describe('failed authentications, per client address', () => {
  it('get 429 after a burst, whatever the credential, without a database round trip', async () => {
    const forged = `Bearer ${await server.signRaw({ sub: 'nobody@example.com', exp: Math.floor(Date.now() / 1000) + 600 })}`;
    for (let attempt = 0; attempt < BURST; attempt++) {
      expect((await ask(forged)).codes).toEqual(['UNAUTHENTICATED']);
    }
    const before = await databaseCommands();
    const refused = await Promise.all(Array.from({ length: 20 }, () => ask(forged)));
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(answer.codes).toEqual(['RATE_LIMITED']);
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(await databaseCommands()).toBe(before);

    // A valid token from the same address is refused too: the address is throttled, not the token.
    const valid = await ask(`Bearer ${await server.token('alice@example.com')}`);
    expect(valid.status).toBe(429);

    // Another address is not.
    const elsewhere = await ask(`Bearer ${await server.token('alice@example.com')}`, '127.0.0.2');
    expect(elsewhere).toMatchObject({ status: 200, codes: [] });
  });
});

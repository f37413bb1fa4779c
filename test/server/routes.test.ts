import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo } from '@tenantgraph/embedded-mongo';
import { codes, startTestServer, type TestServer } from '../support/server.js';
import { runOnce, wsClient, wsErrorCodes, wsUrl } from '../support/graphql-ws.js';
import { scrape, metricValue } from '../support/metrics.js';
import { expectNoLeak } from '../support/leaks.js';

/** The operator's routes of CONTRACT.md section 2: health, readiness, metrics and the dev JWKS. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('/healthz and /readyz', () => {
  it('/healthz answers 200 while the process is up', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
  });

  it('/readyz answers 200 while the database answers', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
  });
});

describe('/metrics', () => {
  const REQUESTS = 'tenantgraph_graphql_requests_total';
  const ERRORS = 'tenantgraph_graphql_errors_total';

  it('is Prometheus text with request counters by operation type, and no label names a tenant', async () => {
    const before = await scrape(server.url);
    await server.as('alice@example.com', '{ viewer { roles } }');
    await server.as('dave@example.com', '{ viewer { roles } }');
    await server.as('bob@example.com', '{ viewer { roles } }');
    const after = await scrape(server.url);
    const delta =
      metricValue(after, REQUESTS, { operation_type: 'query' }) -
      metricValue(before, REQUESTS, { operation_type: 'query' });
    expect(delta).toBe(3);
    const tenantish = /texas|washington|colorado/;
    const labelled = after.filter(
      (sample) => 'tenant' in sample.labels || Object.values(sample.labels).some((value) => tenantish.test(value)),
    );
    expect(labelled).toEqual([]);
  });

  it('counts errors by contract code', async () => {
    const before = await scrape(server.url);
    const forbidden = await server.as('dave@example.com', '{ members { roles } }');
    expect(codes(forbidden)).toEqual(['FORBIDDEN']);
    const refused = await server.gql('{ viewer { roles } }', { auth: null });
    expect(codes(refused)).toEqual(['UNAUTHENTICATED']);
    const after = await scrape(server.url);
    const delta = (labels: Record<string, string>) =>
      metricValue(after, ERRORS, labels) - metricValue(before, ERRORS, labels);
    expect(delta({ code: 'FORBIDDEN' })).toBe(1);
    expect(delta({ code: 'UNAUTHENTICATED' })).toBe(1);
  });
});

describe('/.well-known/jwks.json in dev-issuer mode', () => {
  const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

  it('serves the dev issuer’s public key and nothing private', async () => {
    const response = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/json/);
    const jwks = (await response.json()) as JSONWebKeySet;
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of jwks.keys) {
      expect(key.kty).toBeTruthy();
      expect(key.kid).toBeTruthy();
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    // It is the key the server's own tokens verify with.
    const { payload } = await jwtVerify(await server.token('alice@example.com'), createLocalJWKSet(jwks), {
      issuer: server.issuer.issuer,
      audience: server.issuer.audience,
    });
    expect(payload.sub).toBe('alice@example.com');
  });
});

describe('with the database unreachable', () => {
  let dead: Awaited<ReturnType<typeof startEmbeddedMongo>>;
  let isolated: TestServer;
  let deadStopped = false;

  beforeAll(async () => {
    dead = await startEmbeddedMongo();
    // A long identity cache, so that after the database dies a request gets past authentication
    // (served from the cache) and fails inside a resolver, on a driver error.
    isolated = await startTestServer({
      MONGODB_URI: dead.uri,
      MONGODB_TIMEOUT_MS: '1500',
      MEMBERSHIP_CACHE_TTL_MS: '60000',
    });
    expect((await fetch(`${isolated.url}/readyz`)).status).toBe(200);
    expect((await isolated.as('alice@example.com', '{ parks { nodes { id } } }')).errors).toBeUndefined();
    await dead.stop();
    deadStopped = true;
  });
  afterAll(async () => {
    await isolated?.stop();
    if (!deadStopped) await dead?.stop();
  });

  it('/readyz answers 503, /healthz still 200', async () => {
    const ready = await fetch(`${isolated.url}/readyz`);
    expect(ready.status).toBe(503);
    expectNoLeak(await ready.text());
    expect((await fetch(`${isolated.url}/healthz`)).status).toBe(200);
  });

  it('a request that reaches the database answers 503 SERVICE_UNAVAILABLE without the driver’s message', async () => {
    const response = await isolated.as('alice@example.com', '{ parks { nodes { id name } } }');
    expect(response.status).toBe(503);
    expect(codes(response)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(response.errors?.[0]?.message).toBe('Service unavailable: the database did not answer');
    expectNoLeak(response.errors);
  });

  it('so does an operation over WebSocket (its errors go through the same formatting)', async () => {
    const { client } = wsClient(wsUrl(isolated.url), {
      connectionParams: { authorization: `Bearer ${await isolated.token('alice@example.com')}` },
    });
    try {
      const outcome = await runOnce(client, { query: '{ parks { nodes { id name } } }' });
      expect(outcome.error).toBeUndefined();
      expect(wsErrorCodes(outcome.result?.errors)).toEqual(['SERVICE_UNAVAILABLE']);
      expectNoLeak(outcome.result);
    } finally {
      await client.dispose();
    }
  });

  it('so does one that fails while its context is built (uncached user)', async () => {
    const response = await isolated.as('carol@example.com', '{ viewer { roles } }');
    expect(response.status).toBe(503);
    expect(codes(response)).toEqual(['SERVICE_UNAVAILABLE']);
    expectNoLeak(response.errors);
  });
});

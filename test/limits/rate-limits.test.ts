import { parseList, type Item } from 'structured-headers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PLANS } from '../../src/limits/plans.js';
import { codes, startTestServer, type GraphQLResponse, type TestServer } from '../support/server.js';

const ALICE = 'alice@example.com'; // texas: standard
const BOB = 'bob@example.com'; // washington: free, editor
const CAROL = 'carol@example.com'; // colorado: enterprise

interface Cost {
  requested: number;
  actual: number;
  remaining: number;
  restoreRate: number;
  maximum: number;
}
const costOf = (response: GraphQLResponse) => (response as unknown as { extensions: { cost: Cost } }).extensions.cost;

/** The one item of a RateLimit or RateLimit-Policy field, its parameters as a plain object. */
function item(response: GraphQLResponse, field: string): { name: unknown; params: Record<string, unknown> } {
  const value = response.headers.get(field);
  expect(value, field).not.toBeNull();
  const [first, ...rest] = parseList(value!) as Item[];
  expect(rest).toEqual([]);
  const params = Object.fromEntries(first![1]);
  if (params.pk instanceof ArrayBuffer) params.pk = new TextDecoder().decode(params.pk);
  return { name: first![0], params };
}

describe('telling the client', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('every response in a tenant carries RateLimit-Policy, RateLimit and extensions.cost, in cost points', async () => {
    const response = await server.as<{ viewer: { tenant: { id: string } } }>(ALICE, '{ viewer { tenant { id } } }');
    const tenantId = response.data!.viewer.tenant.id;
    const { standard } = DEFAULT_PLANS;
    const policy = item(response, 'ratelimit-policy');
    expect(policy).toEqual({
      name: 'tenant',
      params: {
        q: standard.bucketSize,
        qu: 'cost-points',
        w: standard.bucketSize / standard.restoreRate,
        pk: tenantId,
      },
    });
    const current = item(response, 'ratelimit');
    const cost = costOf(response);
    expect(cost).toMatchObject({
      requested: 2,
      actual: 2,
      restoreRate: standard.restoreRate,
      maximum: standard.bucketSize,
    });
    expect(current.params).toMatchObject({ r: cost.remaining, pk: tenantId });
    expect(cost.remaining).toBeLessThanOrEqual(standard.bucketSize);
  });

  it('errors carry them too, and each tenant has its own bucket and plan', async () => {
    const refused = await server.as(CAROL, '{ parks(first: 100) { nodes { nope } } }');
    expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(costOf(refused)).toMatchObject({ requested: 0, actual: 0, maximum: DEFAULT_PLANS.enterprise.bucketSize });
    expect(item(refused, 'ratelimit-policy').params.q).toBe(DEFAULT_PLANS.enterprise.bucketSize);
  });

  it('refunds the estimate beyond what was returned', async () => {
    const response = await server.as<{ parks: { nodes: unknown[] } }>(ALICE, '{ parks(first: 100) { nodes { id } } }');
    const cost = costOf(response);
    expect(cost.requested).toBe(101);
    expect(cost.actual).toBe(1 + response.data!.parks.nodes.length);
  });

  it('Query.rateLimit returns the same figures', async () => {
    const response = await server.as<{ rateLimit: Record<string, unknown> }>(
      BOB,
      '{ rateLimit { plan remaining restoreRate maximum resetSeconds maxCostPerOperation } }',
    );
    const { free } = DEFAULT_PLANS;
    expect(response.data!.rateLimit).toMatchObject({
      plan: 'FREE',
      restoreRate: free.restoreRate,
      maximum: free.bucketSize,
      maxCostPerOperation: free.maxCost,
    });
    expect(response.data!.rateLimit.remaining).toBeGreaterThanOrEqual(costOf(response).remaining - 1);
  });

  it('a caller outside any tenant gets no headers and no cost', async () => {
    const response = await server.as('mallory@example.com', '{ viewer { roles } }');
    expect(response.headers.get('ratelimit')).toBeNull();
    expect((response as unknown as { extensions?: unknown }).extensions).toBeUndefined();
  });
});

describe('a free tenant flooding while another tenant works', () => {
  let server: TestServer;
  // A small free bucket that hardly refills, so that the flood meets it within a few requests: ten
  // creations (11 points each) empty it.
  const bucketSize = 110;
  beforeAll(async () => {
    server = await startTestServer({ PLANS: JSON.stringify({ free: { bucketSize, restoreRate: 1 } }) });
  });
  afterAll(() => server?.stop());

  const createPark = (name: string) => `mutation { createPark(input: { name: "${name}" }) { id } }`;
  /** Washington's parks, counted in the database: a query would spend the bucket under test. */
  const countParks = async () => {
    const { database } = server.app.services;
    const tenant = await database.platform.collection('tenants').findOne({ slug: 'washington' });
    return database.forTenant(tenant!._id).collection('parks').count();
  };

  it('is refused with 429, Retry-After and RATE_LIMITED, and nothing refused executes', async () => {
    const before = await countParks();
    const token = await server.token(BOB);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => server.gql(createPark(`flood ${i}`), { auth: token })),
    );
    const admitted = responses.filter((response) => response.status === 200);
    const refused = responses.filter((response) => response.status === 429);
    expect(admitted.length + refused.length).toBe(20);
    expect(admitted.length).toBe(10);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) {
      expect(codes(response)).toEqual(['RATE_LIMITED']);
      expect(response.data).toBeUndefined();
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(item(response, 'ratelimit').params.r).toBeLessThan(11);
    }
    expect(await countParks()).toBe(before + admitted.length);

    // Texas, on its own bucket, is served as usual meanwhile.
    const texas = await Promise.all(Array.from({ length: 20 }, () => server.as(ALICE, '{ parks { nodes { id } } }')));
    expect(texas.map((response) => response.status)).toEqual(Array(20).fill(200));
  });
});

describe('an API key with limits of its own', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('is held to the lower of its own and its plan’s', async () => {
    const created = await server.as<{ createApiKey: { secret: string; apiKey: { limits: unknown } } }>(
      ALICE,
      'mutation { createApiKey(input: { name: "limited", roles: [VIEWER], limits: { maxCost: 30 } }) { secret apiKey { limits { restoreRate bucketSize maxCost } } } }',
    );
    expect(created.data!.createApiKey.apiKey.limits).toEqual({ restoreRate: null, bucketSize: null, maxCost: 30 });
    const secret = created.data!.createApiKey.secret;
    const page = (first: number) => server.gql(`{ parks(first: ${first}) { nodes { id } } }`, { auth: secret });
    const refused = await page(50);
    expect(refused.errors![0]!.message).toBe('Operation cost 51 exceeds the maximum of 30 per operation');
    expect(codes(await page(20))).toEqual([]);
    // Its tenant's other callers keep the plan's maximum.
    expect(codes(await server.as(ALICE, '{ parks(first: 50) { nodes { id } } }'))).toEqual([]);
  });
});

describe('an API key’s own bucket', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('refuses with 429 once the key has spent it, while the tenant’s other callers go on', async () => {
    const created = await server.as<{ createApiKey: { secret: string } }>(
      ALICE,
      'mutation { createApiKey(input: { name: "small", roles: [EDITOR], limits: { bucketSize: 44, restoreRate: 1 } }) { secret } }',
    );
    const secret = created.data!.createApiKey.secret;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const create = `mutation { createPark(input: { name: "key ${i}" }) { id } }`; // 11 points
      statuses.push((await server.gql(create, { auth: secret })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    // Its bucket is empty (four creations spent its 44 points): the key is refused before its request
    // is even read, so a document that does not parse gets the same 429, not a 400.
    const unread = await server.gql('{ not a document', { auth: secret });
    expect(unread.status).toBe(429);
    expect(codes(unread)).toEqual(['RATE_LIMITED']);
    expect((await server.as(ALICE, '{ parks(first: 20) { nodes { id } } }')).status).toBe(200);
  });

  it.each([
    ['zero', '{ maxCost: 0 }'],
    ['a negative rate', '{ restoreRate: -5 }'],
  ])('refuses limits of %s with BAD_USER_INPUT', async (_case, limits) => {
    const response = await server.as(
      ALICE,
      `mutation { createApiKey(input: { name: "bad", roles: [VIEWER], limits: ${limits} }) { secret } }`,
    );
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  });
});

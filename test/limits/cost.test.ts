import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const ALICE = 'alice@example.com'; // texas admin: standard plan, at most 10,000 points per operation
const BOB = 'bob@example.com'; // washington editor: free plan, at most 2,000

/** Fifteen aliases of a page of parks, each park with a page of reservations, sizes from `$n`. */
const bomb = (root: string) =>
  `query Bomb($n: Int) { ${Array.from(
    { length: 15 },
    (_, i) => `a${i}: ${root}(first: $n) { nodes { reservations(first: $n) { nodes { id visitorName } } } }`,
  ).join(' ')} }`;

const parkCount = async () => {
  const response = await server.as<{ parks: { nodes: unknown[] } }>(ALICE, '{ parks(first: 100) { nodes { id } } }');
  return response.data!.parks.nodes.length;
};

describe('the cost of an operation, from its document and its variables', () => {
  it('refuses a variable-driven cost bomb before it runs, naming its cost and the maximum', async () => {
    const response = await server.as(ALICE, bomb('parks'), { variables: { n: 1000 } });
    expect(response.status).toBe(400);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    // 15 × (1 + 100 × (1 + 1 + 100 × 1)): a variable counts clamped to 100, like a literal.
    expect(response.errors![0]!.message).toBe('Operation cost 153015 exceeds the maximum of 10000 per operation');
    expect(response.data).toBeUndefined();
  });

  it('runs the same document with small pages, and reports what it cost', async () => {
    const response = await server.as<Record<string, unknown>>(ALICE, bomb('parks'), { variables: { n: 2 } });
    expect(response.errors).toBeUndefined();
    const cost = (response as unknown as { extensions: { cost: Record<string, number> } }).extensions.cost;
    expect(cost.requested).toBe(15 * (1 + 2 * (1 + 1 + 2 * 1)));
    expect(cost.actual).toBeGreaterThan(0);
    expect(cost.actual).toBeLessThanOrEqual(cost.requested!);
  });

  it('counts a page size left out as the default page, and clamps a negative one to nothing', async () => {
    const absent = await server.as(ALICE, bomb('parks'), { variables: {} });
    expect(codes(absent)).toEqual([]);
    const huge = await server.as(
      ALICE,
      '{ parks(first: 100) { nodes { reservations(first: 100) { nodes { id } } } } }',
    );
    expect(codes(huge)).toEqual(['BAD_USER_INPUT']);
    expect(huge.errors![0]!.message).toMatch(/^Operation cost 10201 exceeds the maximum of 10000/);
  });

  it('costs a document without variables once, and still holds each caller to its own maximum', async () => {
    // 1 + 100 × (1 + 1 + 20): within the standard maximum, over the free one.
    const document = '{ parks(first: 100) { nodes { reservations(first: 20) { nodes { id } } } } }';
    const requested = (response: object) =>
      (response as { extensions: { cost: { requested: number } } }).extensions.cost.requested;
    const first = await server.as(ALICE, document);
    expect(codes(first)).toEqual([]);
    expect(requested(first)).toBe(2201);
    const free = await server.as(BOB, document);
    expect(codes(free)).toEqual(['BAD_USER_INPUT']);
    expect(free.errors![0]!.message).toBe('Operation cost 2201 exceeds the maximum of 2000 per operation');
    const again = await server.as(ALICE, document);
    expect(codes(again)).toEqual([]);
    expect(requested(again)).toBe(2201);
  });

  it("keeps a document's cost for its page size, and still holds each caller to its own maximum", async () => {
    // 15 × (1 + 11 × (1 + 1 + 11)) = 2160: within the standard maximum, over the free one.
    const first = await server.as(ALICE, bomb('parks'), { variables: { n: 11 } });
    expect(codes(first)).toEqual([]);
    expect((first as unknown as { extensions: { cost: { requested: number } } }).extensions.cost.requested).toBe(2160);
    const free = await server.as(BOB, bomb('parks'), { variables: { n: 11 } });
    expect(codes(free)).toEqual(['BAD_USER_INPUT']);
    expect(free.errors![0]!.message).toBe('Operation cost 2160 exceeds the maximum of 2000 per operation');
    const smaller = await server.as(BOB, bomb('parks'), { variables: { n: 10 } });
    expect(codes(smaller)).toEqual([]);
  });

  it('executes nothing of a mutation over its maximum: no park is created', async () => {
    const before = await parkCount();
    const mutation = `mutation Many($n: Int) { ${Array.from(
      { length: 15 },
      (_, i) =>
        `c${i}: createPark(input: { name: "bomb ${i}" }) { reservations(first: $n) { nodes { park { reservations(first: $n) { nodes { id } } } } } }`,
    ).join(' ')} }`;
    const response = await server.as(ALICE, mutation, { variables: { n: 100 } });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(await parkCount()).toBe(before);
  });

  it("applies the tenant's plan: a free tenant's maximum is lower", async () => {
    const page = '{ parks(first: 100) { nodes { reservations(first: 30) { nodes { id } } } } }'; // 1 + 100 × 32
    expect(codes(await server.as(ALICE, page))).toEqual([]);
    const refused = await server.as(BOB, page);
    expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors![0]!.message).toBe('Operation cost 3201 exceeds the maximum of 2000 per operation');
  });

  it('costs a trusted operation at registration with the costliest variables a caller could send', async () => {
    const document =
      'query Nested($n: Int, $m: Int) { parks(first: $n) { nodes { reservations(first: $m) { nodes { id } } } } }';
    const response = await server.as(
      ALICE,
      'mutation ($name: String!, $document: String!) { registerTrustedOperation(name: $name, document: $document) { id } }',
      { variables: { name: 'Nested', document } },
    );
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toMatch(/^Operation cost 10201 exceeds the maximum of 10000/);
  });
});

/** The objects in a value of an answer, counted the plain way: every object in it. */
const objectsOf = (value: unknown): number => {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + objectsOf(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  return Object.values(value).reduce((sum: number, child) => sum + objectsOf(child), 1);
};

const costOf = (response: object) =>
  (response as { extensions: { cost: { requested: number; actual: number } } }).extensions.cost;

describe('the actual cost of an answer', () => {
  it('counts the objects the answer holds, through aliases, fragments and inline fragments', async () => {
    const response = await server.as(
      ALICE,
      `query {
        first: parks(first: 3) { ...Page }
        second: parks(first: 2) { nodes { id ... on Park { name reservations(first: 2) { nodes { id } } } } }
        viewer { user { email } __typename }
      }
      fragment Page on ParkConnection { nodes { id } pageInfo { hasNextPage } }`,
    );
    expect(codes(response)).toEqual([]);
    const { requested, actual } = costOf(response);
    expect(actual).toBe(objectsOf(Object.values(response.data!)));
    // The estimate counts a page's pageInfo once per item: more than the answer holds.
    expect(actual).toBeLessThan(requested);
  });

  it('counts each root field of a mutation at 10 points, under its alias, with the objects it returns', async () => {
    const response = await server.as(
      ALICE,
      'mutation { a: createPark(input: { name: "actual a" }) { id } b: createPark(input: { name: "actual b" }) { id name } }',
    );
    expect(codes(response)).toEqual([]);
    expect(costOf(response)).toMatchObject({ requested: 22, actual: 22 });
  });
});

describe('_entities', () => {
  const entities = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Park { id name } } }';
  const parkId = async () => {
    const response = await server.as<{ parks: { nodes: Array<{ id: string }> } }>(ALICE, '{ parks { nodes { id } } }');
    return response.data!.parks.nodes[0]!.id;
  };

  it('counts every representation and what it selects: a flood is refused before any is resolved', async () => {
    const id = await parkId();
    const flood = `query ($r: [_Any!]!) { _entities(representations: $r) {
      ... on Park { reservations(first: 100) { nodes { id } } } } }`;
    const representations = Array.from({ length: 500 }, () => ({ __typename: 'Park', id }));
    const response = await server.as(ALICE, flood, { variables: { r: representations } });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toBe('Operation cost 51000 exceeds the maximum of 10000 per operation');
  });

  it('resolves a few representations as before', async () => {
    const id = await parkId();
    const response = await server.as<{ _entities: Array<{ id: string }> }>(ALICE, entities, {
      variables: { r: [{ __typename: 'Park', id }] },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities.map((entity) => entity.id)).toEqual([id]);
  });

  it.each([
    ['a __typename that is not an entity here', { __typename: 'Viewer', id: 'x' }, /__typename is not an entity/],
    ['no __typename', { id: 'x' }, /__typename is not an entity/],
    ['an id that is not a string', { __typename: 'Park', id: { $ne: null } }, /id must be a string/],
    ['a numeric id', { __typename: 'Reservation', id: 7 }, /id must be a string/],
  ])('refuses %s with BAD_USER_INPUT', async (_case, representation, message) => {
    const response = await server.as(ALICE, entities, { variables: { r: [representation] } });
    expect(response.status).toBe(400);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toMatch(message);
    expect(response.data).toBeUndefined();
  });
});

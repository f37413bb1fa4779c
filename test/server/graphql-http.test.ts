import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ALIASES, MAX_DEPTH, MAX_DIRECTIVES, MAX_TOKENS } from '../../src/limits/query-limits.js';
import { codes, startTestServer, type GraphQLResponse, type TestServer } from '../support/server.js';
import { expectNoLeak } from '../support/leaks.js';

/** GraphQL over HTTP as CONTRACT.md section 2 promises it, against a real server. */
let server: TestServer;
let alice: string;

beforeAll(async () => {
  server = await startTestServer();
  alice = await server.token('alice@example.com');
});
afterAll(() => server?.stop());

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

async function raw(path: string, init: RequestInit = {}): Promise<RawResponse> {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** A GET as `curl` sends it: query string, the caller's Authorization and nothing else. */
async function get(params: Record<string, string>, headers: Record<string, string> = {}): Promise<GraphQLResponse> {
  const query = new URLSearchParams(params).toString();
  const response = await raw(`/graphql?${query}`, { headers: { authorization: `Bearer ${alice}`, ...headers } });
  expectNoLeak(response.text);
  return { status: response.status, headers: response.headers, ...(response.body as object) };
}

const parkNames = async () => {
  const response = await server.as<{ parks: { nodes: Array<{ name: string }> } }>(
    'alice@example.com',
    '{ parks(first: 100) { nodes { name } } }',
  );
  expect(response.errors).toBeUndefined();
  return response.data!.parks.nodes.map((park) => park.name);
};

const errorMessages = (response: GraphQLResponse) => (response.errors ?? []).map((error) => error.message).join('\n');

describe('GET', () => {
  it('runs a query with nothing but the caller’s Authorization header (the README’s curl)', async () => {
    const response = await get({ query: '{viewer{roles tenant{slug}}}' });
    expect(response.errors).toBeUndefined();
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ viewer: { roles: ['ADMIN'], tenant: { slug: 'texas' } } });
  });

  it('passes variables and operationName', async () => {
    const response = await get({
      query: 'query Other { viewer { roles } } query Page($first: Int) { parks(first: $first) { nodes { id } } }',
      operationName: 'Page',
      variables: JSON.stringify({ first: 1 }),
    });
    expect(response.errors).toBeUndefined();
    expect((response.data as { parks: { nodes: unknown[] } }).parks.nodes).toHaveLength(1);
  });

  it('refuses a mutation, which does not run', async () => {
    const response = await get({ query: 'mutation { createPark(input: { name: "Made by GET" }) { id } }' });
    expect(response.status).toBe(405);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.data ?? null).toBeNull();
    expect(await parkNames()).not.toContain('Made by GET');
  });

  it('refuses a mutation picked by operationName out of a document that also has a query', async () => {
    const response = await get({
      query:
        'query Harmless { viewer { roles } } mutation Sneaky { createPark(input: { name: "Sneaked by GET" }) { id } }',
      operationName: 'Sneaky',
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(await parkNames()).not.toContain('Sneaked by GET');
  });

  it('still requires credentials', async () => {
    const response = await raw(`/graphql?query=${encodeURIComponent('{viewer{roles}}')}`);
    expect(response.status).toBe(401);
    expect(codes(response.body as GraphQLResponse)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('POST', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    raw('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}`, ...headers },
      body,
    });

  it('refuses a batch (a JSON array), running none of it', async () => {
    const response = await post(
      JSON.stringify([
        { query: '{ viewer { roles } }' },
        { query: 'mutation { createPark(input: { name: "Made in a batch" }) { id } }' },
      ]),
    );
    expect(response.status).toBe(400);
    expect(Array.isArray(response.body)).toBe(false);
    expect(codes(response.body as GraphQLResponse)).toEqual(['BAD_USER_INPUT']);
    expectNoLeak(response.text);
    expect(await parkNames()).not.toContain('Made in a batch');
  });

  it('answers a malformed JSON body with a GraphQL-shaped BAD_USER_INPUT, no stack trace', async () => {
    const response = await post('{"query": "{ viewer { roles } }"');
    expect(response.status).toBe(400);
    expectNoLeak(response.text);
    expect(response.text).not.toMatch(/node_modules|SyntaxError|<pre>/);
    expect(codes(response.body as GraphQLResponse)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers a body over the size limit with a GraphQL-shaped error, no stack trace', async () => {
    const response = await post(JSON.stringify({ query: `{ viewer { roles } } #${'x'.repeat(1_100_000)}` }));
    expect(response.status).toBe(413);
    expectNoLeak(response.text);
    expect(response.text).not.toMatch(/node_modules|PayloadTooLargeError|<pre>/);
    expect(codes(response.body as GraphQLResponse)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('bad documents get BAD_USER_INPUT, with no suggestion and nothing internal', () => {
  const expectBadInput = (response: GraphQLResponse) => {
    expect(codes(response).length).toBeGreaterThan(0);
    for (const code of codes(response)) expect(code).toBe('BAD_USER_INPUT');
    expect(errorMessages(response)).not.toMatch(/did you mean/i);
    expectNoLeak(response);
    for (const error of response.errors ?? []) {
      expect(error.extensions).not.toHaveProperty('stacktrace');
      expect(error.extensions).not.toHaveProperty('exception');
    }
  };

  it('a syntax error', async () => {
    const response = await server.gql('{ viewer { roles', { auth: alice });
    expect(response.status).toBe(400);
    expectBadInput(response);
  });

  it.each([
    ['a misspelt field', '{ parkz { nodes { id } } }'],
    ['a misspelt nested field', '{ viewer { rolez } }'],
    ['a misspelt enum value', '{ reservationStats(groupBy: PARKS) { key } }'],
    ['a misspelt argument', '{ parks(frist: 1) { nodes { id } } }'],
    ['a misspelt input field', 'mutation { createPark(input: { nam: "x", name: "y" }) { id } }'],
  ])('a validation error: %s', async (_name, query) => {
    const response = await server.gql(query, { auth: alice });
    expect(response.status).toBe(400);
    expectBadInput(response);
  });

  it.each([
    [
      'an enum value',
      'query ($by: ReservationStatsGroupBy!) { reservationStats(groupBy: $by) { key } }',
      { by: 'MONTHS' },
    ],
    [
      'an input field',
      'mutation ($input: CreateParkInput!) { createPark(input: $input) { id } }',
      { input: { nam: 'x', name: 'Coerced' } },
    ],
  ])('a variable that does not coerce: %s', async (_name, query, variables) => {
    const response = await server.gql(query, { auth: alice, variables });
    expect(response.status).toBe(400);
    expectBadInput(response);
    expect(await parkNames()).not.toContain('Coerced');
  });
});

describe('query limits', () => {
  const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { roles }`).join(' ')} }`;
  // `{ ...F ...F … } fragment F on Query { viewer { roles } }`: 12 tokens of frame, 2 per spread
  // (a field repeated hundreds of times instead trips graphql-js's own field-merging guard).
  const spreads = (n: number) => `{ ${'...F '.repeat(n)}} fragment F on Query { viewer { roles } }`;
  const atTokenLimit = Math.floor((MAX_TOKENS - 12) / 2);

  it(`lets through a legitimate query at the depth limit (${MAX_DEPTH}) and at the alias and token limits`, async () => {
    const deep = await server.gql(
      '{ parks(first: 2) { edges { node { reservations(first: 2) { edges { node { id } } } } } } }',
      { auth: alice },
    );
    expect(deep.errors).toBeUndefined();
    expect(deep.data).toBeTruthy();
    const aliased = await server.gql(aliases(MAX_ALIASES), { auth: alice });
    expect(aliased.errors).toBeUndefined();
    const long = await server.gql(spreads(atTokenLimit), { auth: alice });
    expect(long.errors).toBeUndefined();
  });

  it.each([
    ['too deep', '{ parks { edges { node { reservations { edges { node { park { id } } } } } } } }', /depth/i],
    ['too many aliases', aliases(MAX_ALIASES + 1), /alias/i],
    ['too many tokens', spreads(atTokenLimit + 1), /token/i],
    ['too many directives', `{ viewer { ${'roles @include(if: true) '.repeat(MAX_DIRECTIVES + 1)} } }`, /directive/i],
    ['too costly', '{ parks(first: 100) { nodes { reservations(first: 100) { nodes { id } } } } }', /cost/i],
  ])('refuses a query %s with BAD_USER_INPUT, before executing it', async (_name, query, limit) => {
    const response = await server.gql(query, { auth: alice });
    expect(response.status).toBe(400);
    expect(codes(response).length).toBeGreaterThan(0);
    for (const code of codes(response)) expect(code).toBe('BAD_USER_INPUT');
    expect(response.data ?? null).toBeNull();
    expect(errorMessages(response)).toMatch(limit);
    expectNoLeak(response);
  });
});

describe('introspection, outside production', () => {
  it('is on by default', async () => {
    const response = await server.gql('{ __schema { queryType { name } } __type(name: "Park") { name } }', {
      auth: alice,
    });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } }, __type: { name: 'Park' } });
  });
});

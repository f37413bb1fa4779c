import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestServer, type GraphQLResponse, type TestServer } from '../support/server.js';
import { seedId } from '../../src/seed/seed.js';
import {
  composeForTest,
  startFederation,
  startGateway,
  subscribeThrough,
  type Federation,
  type RunningGateway,
} from './support.js';
import { quietFor, until } from '../support/wait.js';

/*
 * GATEWAY_SECRET (CONTRACT.md section 8) with a real gateway: the gateway that holds the secret is
 * served (as the caller, whose credentials are still verified); one that does not is refused; and
 * `{ _service { sdl } }`, which gateways and rover fetch with the secret alone, is the one thing the
 * secret answers without user credentials.
 */
const SECRET = 'router-to-subgraph-secret-0123456789';
const SERVICE_SDL = '{ _service { sdl } }';
/** The document rover and Apollo Router send, comments and operation name included. */
const ROVER_INTROSPECT = `query SubgraphIntrospectQuery {
    # eslint-disable-next-line
    _service {
        sdl
    }
}`;

let federation: Federation;
let gatewayWithoutSecret: RunningGateway;
let subgraphUrl: string;

beforeAll(async () => {
  federation = await startFederation({ GATEWAY_SECRET: SECRET }, SECRET);
  subgraphUrl = `${federation.subgraph.url}/graphql`;
  gatewayWithoutSecret = await startGateway({ supergraph: composeForTest(subgraphUrl, federation.weather.url) });
});
afterAll(async () => {
  await gatewayWithoutSecret?.stop();
  await federation?.stop();
});

async function post(headers: Record<string, string>, body: unknown): Promise<GraphQLResponse> {
  const response = await fetch(subgraphUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

const bearer = async (email: string) => ({ authorization: `Bearer ${await federation.subgraph.token(email)}` });
const PARKS = '{ parks(first: 100) { nodes { id name weather { condition } } } }';

describe('through a gateway', () => {
  it('the gateway that sends the secret is served, as the caller', async () => {
    const response = await federation.gateway.post<{ parks: { nodes: unknown[] } }>(PARKS, {
      headers: { ...(await bearer('bob@example.com')) },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data!.parks.nodes.length).toBeGreaterThanOrEqual(3);
  });

  it('with the secret, the caller is still verified: none gets UNAUTHENTICATED', async () => {
    const response = await federation.gateway.post(PARKS);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.data ?? null).toBeNull();
  });

  it('a gateway without the secret is refused UNAUTHENTICATED, whatever the caller’s credentials', async () => {
    const response = await gatewayWithoutSecret.post(PARKS, { headers: await bearer('bob@example.com') });
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.data ?? null).toBeNull();
  });
});

describe('subscriptions through a gateway', () => {
  const texas = seedId('tenant:texas');
  /** Through the gateway that holds the secret: with GATEWAY_SECRET set, nothing else reaches the subgraph. */
  const createTexasPark = async (name: string) => {
    const response = await federation.gateway.post(
      'mutation($name: String!) { createPark(input: { name: $name }) { id } }',
      {
        variables: { name },
        headers: { ...(await bearer('alice@example.com')), 'x-tenant-id': 'texas' },
      },
    );
    expect(response.errors).toBeUndefined();
  };

  it('the gateway that sends the secret in the upgrade request gets the stream', async () => {
    const feed = federation.subgraph.app.services.exportFeed;
    const frank = subscribeThrough(federation.gateway, {
      authorization: `Bearer ${await federation.subgraph.token('frank@example.com')}`,
      'x-tenant-id': 'texas',
    });
    try {
      await until(() => feed.subscribers(texas) > 0 || frank.ended, 'the stream');
      await createTexasPark('Through The Gateway');
      await until(() => frank.events.length > 0 || frank.ended, 'the event');
      expect(frank.events.map((event) => [event.tenant, event.data.name])).toEqual([['texas', 'Through The Gateway']]);
    } finally {
      await frank.client.dispose();
    }
    await until(() => feed.subscribers(texas) === 0, 'the stream to close');
  });

  it('a gateway without the secret gets no stream and delivers nothing (the connection is refused 4403)', async () => {
    const feed = federation.subgraph.app.services.exportFeed;
    await until(() => feed.subscribers() === 0, 'earlier streams to close');
    const frank = subscribeThrough(gatewayWithoutSecret, {
      authorization: `Bearer ${await federation.subgraph.token('frank@example.com')}`,
      'x-tenant-id': 'texas',
    });
    let streams = 0;
    const sampling = setInterval(() => (streams = Math.max(streams, feed.subscribers())), 5);
    try {
      await quietFor(500);
      await createTexasPark('Not Without The Secret');
      await quietFor(300);
    } finally {
      clearInterval(sampling);
    }
    expect(streams).toBe(0);
    expect(frank.events).toEqual([]);
    await frank.client.dispose();
  });
});

describe('_service with the secret and no user credentials', () => {
  it('answers { _service { sdl } }: the same SDL an authenticated caller gets', async () => {
    const anonymous = await post({ 'router-authorization': SECRET }, { query: SERVICE_SDL });
    expect(anonymous.status).toBe(200);
    expect(anonymous.errors).toBeUndefined();
    const authenticated = await post(
      { 'router-authorization': SECRET, ...(await bearer('alice@example.com')) },
      { query: SERVICE_SDL },
    );
    expect(authenticated.errors).toBeUndefined();
    expect(anonymous.data).toEqual(authenticated.data);
    const sdl = (anonymous.data as { _service: { sdl: string } })._service.sdl;
    expect(sdl).toMatch(/type Park\s+@key\(fields: "id"\)/);
    expect(sdl).toContain('https://specs.apollo.dev/federation/v2');
  });

  it('answers the document rover and the router send', async () => {
    const response = await post(
      { 'router-authorization': SECRET },
      { query: ROVER_INTROSPECT, operationName: 'SubgraphIntrospectQuery', variables: {} },
    );
    expect(response.status).toBe(200);
    expect((response.data as { _service: { sdl: string } })._service.sdl).toMatch(/type Tenant\s+@key\(fields: "id"\)/);
  });

  it.each([
    ['another field next to it', '{ _service { sdl } viewer { user { email } } }'],
    ['any other query', '{ viewer { user { email } } }'],
    ['_entities', '{ _entities(representations: [{ __typename: "Park", id: "x" }]) { __typename } }'],
    ['introspection', '{ __schema { types { name } } }'],
    ['an alias', '{ s: _service { sdl } }'],
    ['another field of _Service', '{ _service { sdl __typename } }'],
    ['a fragment', '{ _service { ...F } } fragment F on _Service { sdl }'],
    ['a directive', '{ _service @include(if: true) { sdl } }'],
    ['a second operation', 'query A { _service { sdl } } query B { viewer { roles } }'],
    ['a mutation', 'mutation { switchTenant(slug: "texas") { roles } }'],
  ])('refuses %s: 401 UNAUTHENTICATED, nothing executed', async (_name, query) => {
    const response = await post({ 'router-authorization': SECRET }, { query });
    expect(response.status).toBe(401);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.data ?? null).toBeNull();
  });

  it('refuses an operationName that picks no such operation, and variables', async () => {
    for (const body of [
      { query: 'query A { _service { sdl } }', operationName: 'B' },
      { query: SERVICE_SDL, variables: { x: 1 } },
    ]) {
      const response = await post({ 'router-authorization': SECRET }, body);
      expect(response.status).toBe(401);
      expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('refuses it over GET', async () => {
    const response = await fetch(`${subgraphUrl}?query=${encodeURIComponent(SERVICE_SDL)}`, {
      headers: { 'router-authorization': SECRET },
    });
    expect(response.status).toBe(401);
  });

  it('refuses it without the secret, or with a wrong one, before parsing', async () => {
    for (const headers of [{}, { 'router-authorization': `${SECRET}x` }] as Array<Record<string, string>>) {
      const response = await post(headers, { query: SERVICE_SDL });
      expect(response.status).toBe(401);
      expect(codes(response)).toEqual(['UNAUTHENTICATED']);
      expect(response.data ?? null).toBeNull();
    }
  });

  it('with bad user credentials next to the secret, the credentials are verified (and refused)', async () => {
    const response = await post(
      { 'router-authorization': SECRET, authorization: 'Bearer not-a-token' },
      { query: SERVICE_SDL },
    );
    expect(response.status).toBe(401);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('_service without GATEWAY_SECRET', () => {
  let plain: TestServer;
  beforeAll(async () => {
    plain = await startTestServer();
  });
  afterAll(() => plain?.stop());

  it('needs an authenticated caller, whatever Router-Authorization says', async () => {
    const anonymous = await plain.gql(SERVICE_SDL, { headers: { 'router-authorization': SECRET } });
    expect(anonymous.status).toBe(401);
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
    const authenticated = await plain.as<{ _service: { sdl: string } }>('dave@example.com', SERVICE_SDL);
    expect(authenticated.data?._service.sdl).toMatch(/type Reservation\s+@key\(fields: "id"\)/);
  });
});

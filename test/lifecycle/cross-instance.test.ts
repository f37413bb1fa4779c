import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPeerServer, startTestServer, type TestServer } from '../support/server.js';
import {
  bearer,
  createKey,
  expiryOf,
  HAS_EXPORT_EVENTS,
  expectForbiddenClose,
  openStream,
  makeTexasMember,
  revokeKey,
  setRoles,
  WITHIN_MS,
  type Stream,
} from './support.js';
import { runOnce } from '../support/graphql-ws.js';

/**
 * Two instances of the service on one database, as behind a load balancer: a revocation committed
 * on A ends the affected streams on B within a second (CONTRACT.md section 6), and B's HTTP requests
 * see it at once. The identity caches' TTL is set to 60 s on both, so only the identity change
 * stream can make these tests pass.
 */
const CACHE_TTL = { MEMBERSHIP_CACHE_TTL_MS: '60000' };
let a: TestServer;
let b: TestServer;
const streams: Stream[] = [];

beforeAll(async () => {
  a = await startTestServer(CACHE_TTL);
  b = await startPeerServer(a, CACHE_TTL);
});
beforeEach(async () => {
  await makeTexasMember(a, 'frank@example.com', ['INTEGRATOR']);
});
afterEach(async () => {
  await Promise.all(streams.splice(0).map((stream) => stream.dispose()));
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

const openOn = async (
  server: TestServer,
  params: Record<string, unknown>,
  options: { subscribe?: boolean; after?: string } = {},
) => {
  const stream = await openStream(server, params, options);
  expect(await stream.closedWithin(0), 'the connection should have been accepted').toBeNull();
  streams.push(stream);
  return stream;
};

const frankOn = async (server: TestServer) => openOn(server, bearer(await server.token('frank@example.com')));

/** frank's roles in texas as instance `server` sees them over HTTP. */
async function frankRoles(server: TestServer) {
  const response = await server.as<{ viewer: { roles: string[] } }>('frank@example.com', '{ viewer { roles } }', {
    tenant: 'texas',
  });
  return response.errors ? response.errors.map((error) => error.extensions?.code) : response.data!.viewer.roles;
}

describe('an API key revoked on another instance', () => {
  it('ends the streams using it on B with 4403 within a second; other keys stay connected', async () => {
    const key = await createKey(a, ['INTEGRATOR']);
    const other = await createKey(a, ['INTEGRATOR']);
    const stream = await openOn(b, bearer(key.secret));
    const bystander = await openOn(b, bearer(other.secret));
    const since = Date.now();
    await revokeKey(a, key.id);
    const closed = await expectForbiddenClose(stream, since);
    expect(closed.reason).toMatch(/^Forbidden/);
    // And B refuses the key over HTTP at once, although it cached it a moment ago.
    const refused = await b.gql('{ viewer { roles } }', { auth: key.secret });
    expect(refused.status).toBe(401);
    expect(await bystander.closedWithin(500)).toBeNull();
    expect((await runOnce(bystander.client, { query: '{ viewer { roles } }' })).result).toEqual({
      data: { viewer: { roles: ['INTEGRATOR'] } },
      extensions: { cost: expect.any(Object) },
    });
  });
});

describe('a role removed on another instance', () => {
  it('removing frank from texas on A ends his stream on B with 4403 within a second, and B refuses him over HTTP at once', async () => {
    expect(await frankRoles(b)).toEqual(['INTEGRATOR']); // B has cached frank's memberships.
    const stream = await frankOn(b);
    const since = Date.now();
    await setRoles(a, 'frank@example.com', []); // deletes the membership: the change names only its id
    const closed = await expectForbiddenClose(stream, since);
    expect(closed.reason).toBe('Forbidden: rights changed');
    expect(await frankRoles(b)).toEqual(['FORBIDDEN']);
  });

  it('downgrading frank to VIEWER on A ends his stream on B; B serves him as VIEWER at once', async () => {
    expect(await frankRoles(b)).toEqual(['INTEGRATOR']);
    const stream = await frankOn(b);
    const since = Date.now();
    await setRoles(a, 'frank@example.com', ['VIEWER']);
    await expectForbiddenClose(stream, since);
    expect(await frankRoles(b)).toEqual(['VIEWER']);
  });

  it('a change that removes nothing frank’s stream relies on leaves it open', async () => {
    const stream = await frankOn(b);
    await setRoles(a, 'frank@example.com', ['INTEGRATOR', 'ANALYST']);
    expect(await stream.closedWithin(WITHIN_MS)).toBeNull();
    // B applied the change (through the stream, not the 60 s TTL), and the connection still serves.
    expect(await frankRoles(b)).toEqual(['ANALYST', 'INTEGRATOR']);
    expect((await runOnce(stream.client, { query: '{ viewer { tenant { slug } } }' })).result).toEqual({
      data: { viewer: { tenant: { slug: 'texas' } } },
      extensions: { cost: expect.any(Object) },
    });
  });

  it('another user’s change leaves a connection open', async () => {
    // dave is a VIEWER: he may not subscribe to exportEvents, his connection is what stays open.
    const dave = await openOn(b, bearer(await b.token('dave@example.com')), { subscribe: false });
    const frank = await frankOn(b);
    const since = Date.now();
    await setRoles(a, 'frank@example.com', ['VIEWER']);
    await expectForbiddenClose(frank, since);
    expect(await dave.closedWithin(500)).toBeNull();
    expect((await runOnce(dave.client, { query: '{ viewer { roles } }' })).result).toEqual({
      data: { viewer: { roles: ['VIEWER'] } },
      extensions: { cost: expect.any(Object) },
    });
  });

  it('the instance that committed the change ends its own streams too', async () => {
    const stream = await frankOn(a);
    const since = Date.now();
    await setRoles(b, 'frank@example.com', []);
    await expectForbiddenClose(stream, since);
  });
});

describe('other identity changes', () => {
  it('switching the stored active tenant on A leaves a stream in the former tenant open on B', async () => {
    // alice names no tenant: her connection acts in her stored one, texas, where she stays ADMIN.
    const stream = await openOn(b, bearer(await b.token('alice@example.com')));
    const switched = await a.as(
      'alice@example.com',
      'mutation { switchTenant(slug: "washington") { tenant { slug } } }',
    );
    try {
      expect(switched.errors).toBeUndefined();
      expect(await stream.closedWithin(WITHIN_MS)).toBeNull();
      // B applied the switch at once (through the stream, not the 60 s TTL) for new requests.
      const viewer = await b.as<{ viewer: { tenant: { slug: string } } }>(
        'alice@example.com',
        '{ viewer { tenant { slug } } }',
      );
      expect(viewer.data?.viewer.tenant.slug).toBe('washington');
    } finally {
      await a.as('alice@example.com', 'mutation { switchTenant(slug: "texas") { tenant { slug } } }');
    }
  });

  it('deleting a user on A ends the user’s streams on B with 4403 within a second', async () => {
    const { platform } = a.app.services.database;
    const texas = await platform.collection<{ _id: string; slug: string }>('tenants').findOne({ slug: 'texas' });
    const gina = await platform.collection('users').insertOne({
      subject: 'gina@example.com',
      email: 'gina@example.com',
      activeTenantId: texas!._id,
      createdAt: new Date(),
    });
    await platform
      .collection('memberships')
      .insertOne({ userId: gina._id, tenantId: texas!._id, roles: ['INTEGRATOR'], updatedAt: new Date() });
    const stream = await openOn(b, bearer(await b.token('gina@example.com')));
    const since = Date.now();
    await platform.collection('users').deleteOne({ _id: gina._id }); // the change names only the id
    const closed = await expectForbiddenClose(stream, since);
    expect(closed.reason).toBe('Forbidden: credentials no longer valid');
    await platform.collection('memberships').deleteOne({ userId: gina._id });
  });
});

describe.runIf(HAS_EXPORT_EVENTS)('resuming with new credentials', () => {
  const createPark = async (server: TestServer, name: string) => {
    const response = await server.as<{ createPark: { id: string } }>(
      'alice@example.com',
      'mutation ($name: String!) { createPark(input: { name: $name }) { id } }',
      {
        variables: { name },
        tenant: 'texas',
      },
    );
    expect(response.errors).toBeUndefined();
    return response.data!.createPark.id;
  };
  type Received = { data?: { exportEvents?: { cursor: string; subject: string } } };
  const received = (stream: Stream) => (stream.events as Received[]).map((event) => event.data?.exportEvents);

  it('a stream ended by expiry resumes from its last cursor, with a new token, without a gap', async () => {
    const token = await b.token('frank@example.com', { ttlSeconds: 3 });
    const first = await openOn(b, bearer(token));
    const before = await createPark(a, 'Before expiry');
    await vi.waitFor(() => expect(received(first).map((event) => event?.subject)).toEqual([before]), {
      timeout: WITHIN_MS,
    });
    await expectForbiddenClose(first, expiryOf(token));
    const missed = await createPark(a, 'While disconnected');
    const cursor = received(first)[0]!.cursor;
    const resumed = await openOn(b, bearer(await b.token('frank@example.com')), { after: cursor });
    await vi.waitFor(() => expect(received(resumed).map((event) => event?.subject)).toEqual([missed]), {
      timeout: WITHIN_MS,
    });
  });
});

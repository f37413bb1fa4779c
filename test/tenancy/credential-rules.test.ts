import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { covers } from '../../src/authz/role-coverage.js';
import { ROLES } from '../../src/authz/roles.js';
import { codes, twoInstances, type TestServer } from '../support/server.js';
import { expectForbiddenClose, makeTexasMember, openStream, WITHIN_MS } from '../lifecycle/support.js';
import { rawPost } from '../support/raw-http.js';

/**
 * CONTRACT.md sections 2 and 3: a request names one credential, and an API key never holds more than
 * the member it comes from, now. Each rule is tried by the caller it is meant to stop.
 */
const CACHE_TTL = { MEMBERSHIP_CACHE_TTL_MS: '60000' };
const instances = twoInstances(CACHE_TTL);
let a: TestServer;
let b: TestServer;
beforeAll(() => {
  ({ a, b } = instances);
});
beforeEach(async () => {
  await makeTexasMember(a, 'dave@example.com', ['ADMIN']);
});

const CREATE_PARK = 'mutation { createPark(input: { name: "Twice" }) { id } }';

const parkCount = async () =>
  (await a.as<{ parks: { nodes: unknown[] } }>('alice@example.com', '{ parks(first: 100) { nodes { id } } }')).data!
    .parks.nodes.length;

async function createKey(
  server: TestServer,
  auth: string,
  roles: string[],
): Promise<{ secret: string; id: string; errors?: unknown }> {
  const response = await server.gql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
    'mutation ($roles: [Role!]!) { createApiKey(input: { name: "rights", roles: $roles }) { secret apiKey { id } } }',
    { variables: { roles }, auth },
  );
  expect(response.errors).toBeUndefined();
  return { secret: response.data!.createApiKey.secret, id: response.data!.createApiKey.apiKey.id };
}

const setRoles = (server: TestServer, auth: string, email: string, roles: string[]) =>
  server.gql<{ setMemberRoles: { roles: string[]; user: { id: string; email: string } } }>(
    'mutation ($email: String!, $roles: [Role!]!) { setMemberRoles(email: $email, roles: $roles) { roles user { id email } } }',
    { variables: { email, roles }, auth },
  );

const rolesOf = async (server: TestServer, auth: string) => {
  const response = await server.gql<{ viewer: { roles: string[] } }>('{ viewer { roles } }', { auth });
  return response.errors ? codes(response) : response.data!.viewer.roles;
};

describe('one credential per request (section 2)', () => {
  it('refuses two Authorization headers with 401 before anything runs, even when both are valid', async () => {
    const before = await parkCount();
    const alice = await a.token('alice@example.com');
    for (const authorization of [
      [`Bearer ${alice}`, `Bearer ${alice}`],
      [`Bearer ${alice}`, `Bearer ${await a.token('dave@example.com')}`],
    ]) {
      const answer = await rawPost(a.url, { authorization }, CREATE_PARK);
      expect(answer.status).toBe(401);
      expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(answer.body.errors?.[0]).toMatchObject({ message: 'Authorization header sent more than once' });
      expect(answer.body.data).toBeUndefined();
    }
    expect(await parkCount()).toBe(before);
  });

  it('refuses two X-API-Key headers, and a token with a key, with 401 before anything runs', async () => {
    const before = await parkCount();
    const alice = await a.token('alice@example.com');
    const { secret } = await createKey(a, alice, ['EDITOR']);
    const attempts: Array<Record<string, string | string[]>> = [
      { 'x-api-key': [secret, secret] },
      { authorization: `Bearer ${alice}`, 'x-api-key': secret },
    ];
    for (const headers of attempts) {
      const answer = await rawPost(a.url, headers, CREATE_PARK);
      expect(answer.status).toBe(401);
      expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    }
    expect(await parkCount()).toBe(before);
    // The same key, once, in either header, works.
    expect((await rawPost(a.url, { 'x-api-key': secret }, '{ viewer { roles } }')).status).toBe(200);
  });

  it('closes a WebSocket whose connection_init names the credential twice (keys differing in case) with 4403', async () => {
    const alice = await a.token('alice@example.com');
    const dave = await a.token('dave@example.com');
    const stream = await openStream(a, { authorization: `Bearer ${alice}`, Authorization: `Bearer ${dave}` });
    const closed = await stream.closedWithin(WITHIN_MS);
    expect(closed?.code).toBe(4403);
  });
});

describe('an API key never holds more than its member (section 3)', () => {
  it('a demoted admin’s key cannot re-promote its creator, on either instance', async () => {
    const dave = await a.token('dave@example.com');
    const alice = await a.token('alice@example.com');
    const { secret } = await createKey(a, dave, ['ADMIN']);
    expect(await rolesOf(b, secret)).toEqual(['ADMIN']);

    expect((await setRoles(a, alice, 'dave@example.com', ['VIEWER'])).errors).toBeUndefined();
    // Instance B learns it from the identity change stream (its cache TTL is 60 s).
    await vi.waitFor(async () => expect(await rolesOf(b, secret)).toEqual(['FORBIDDEN']), { timeout: WITHIN_MS });
    for (const server of [a, b]) {
      const attempt = await setRoles(server, secret, 'dave@example.com', ['ADMIN']);
      expect(codes(attempt)).toEqual(['FORBIDDEN']);
    }
    expect(await rolesOf(a, dave)).toEqual(['VIEWER']);
  });

  it('a key acts with the roles its member still covers: shrinks on demotion, ends on removal', async () => {
    const dave = await a.token('dave@example.com');
    const alice = await a.token('alice@example.com');
    const { secret } = await createKey(a, dave, ['EDITOR', 'INTEGRATOR']);
    expect(await rolesOf(a, secret)).toEqual(['EDITOR', 'INTEGRATOR']);

    await setRoles(a, alice, 'dave@example.com', ['EDITOR']);
    await vi.waitFor(async () => expect(await rolesOf(b, secret)).toEqual(['EDITOR']), { timeout: WITHIN_MS });
    const write = await b.gql(CREATE_PARK, { auth: secret });
    expect(write.errors).toBeUndefined();

    await setRoles(a, alice, 'dave@example.com', ['ANALYST']);
    await vi.waitFor(async () => expect(await rolesOf(b, secret)).toEqual(['FORBIDDEN']), { timeout: WITHIN_MS });
    expect(codes(await b.gql(CREATE_PARK, { auth: secret }))).toEqual(['FORBIDDEN']);

    await setRoles(a, alice, 'dave@example.com', []);
    expect(await rolesOf(a, secret)).toEqual(['FORBIDDEN']);
  });

  it('a key created by a key answers to the first key’s member, and names that member as createdBy', async () => {
    const dave = await a.token('dave@example.com');
    const alice = await a.token('alice@example.com');
    const parent = await createKey(a, dave, ['ADMIN']);
    const child = await createKey(a, parent.secret, ['EDITOR']);
    const listed = await a.gql<{ apiKeys: Array<{ id: string; createdBy: { email: string } | null }> }>(
      '{ apiKeys { id createdBy { email } } }',
      { auth: alice },
    );
    const createdBy = (id: string) => listed.data!.apiKeys.find((key) => key.id === id)?.createdBy?.email;
    expect(createdBy(parent.id)).toBe('dave@example.com');
    expect(createdBy(child.id)).toBe('dave@example.com');

    await setRoles(a, alice, 'dave@example.com', ['VIEWER']);
    await vi.waitFor(async () => expect(await rolesOf(b, child.secret)).toEqual(['FORBIDDEN']), {
      timeout: WITHIN_MS,
    });
    await setRoles(a, alice, 'dave@example.com', ['ADMIN']);
    await vi.waitFor(async () => expect(await rolesOf(b, child.secret)).toEqual(['EDITOR']), {
      timeout: WITHIN_MS,
    });
  });

  it('demoting the member ends its key’s event stream with 4403 on the other instance', async () => {
    const dave = await a.token('dave@example.com');
    const alice = await a.token('alice@example.com');
    const { secret } = await createKey(a, dave, ['INTEGRATOR']);
    const stream = await openStream(b, { 'x-api-key': secret });
    try {
      expect(stream.subscribed).toBe(true);
      const since = Date.now();
      await setRoles(a, alice, 'dave@example.com', ['VIEWER']);
      await expectForbiddenClose(stream, since);
    } finally {
      await stream.dispose();
    }
  });

  it('ADMIN covers every role, EDITOR that of VIEWER, and a key asks for nothing beyond', () => {
    for (const role of ROLES) expect(covers(['ADMIN'], role)).toBe(true);
    // Not ANALYST: an ANALYST (and an ADMIN) reads the tenant's usage ledger, an EDITOR does not.
    expect(ROLES.filter((role) => covers(['EDITOR'], role))).toEqual(['VIEWER', 'EDITOR']);
    expect(ROLES.filter((role) => covers(['INTEGRATOR'], role))).toEqual(['VIEWER', 'INTEGRATOR']);
    expect(ROLES.filter((role) => covers(['ANALYST'], role))).toEqual(['VIEWER', 'ANALYST']);
    expect(ROLES.filter((role) => covers(['VIEWER'], role))).toEqual(['VIEWER']);
    expect(ROLES.filter((role) => covers([], role))).toEqual([]);
  });
});

describe('setMemberRoles tells a tenant admin nothing about other tenants (section 3)', () => {
  it('answers alike for an unknown address, a user of another tenant and a user of none, and changes nothing', async () => {
    const alice = await a.token('alice@example.com');
    const answers = [];
    for (const email of ['nobody@example.com', 'bob@example.com', 'mallory@example.com']) {
      const response = await setRoles(a, alice, email, ['VIEWER']);
      answers.push({ data: response.data, errors: response.errors, status: response.status });
    }
    expect(answers[0]!.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(answers[0]!.errors)).not.toMatch(/bob|mallory|User:/);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    const bob = await a.gql<{ viewer: { memberships: Array<{ tenant: { slug: string } }> } }>(
      '{ viewer { memberships { tenant { slug } } } }',
      { auth: await a.token('bob@example.com') },
    );
    expect(bob.data!.viewer.memberships.map((m) => m.tenant.slug)).toEqual(['washington']);
  });
});

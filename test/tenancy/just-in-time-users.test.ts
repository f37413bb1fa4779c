import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startPeerServer, startTestServer, type TestServer } from '../support/server.js';

/** CONTRACT.md section 10: the first verified request of a new `iss`+`sub` creates its user. */
let server: TestServer;
/**
 * A second instance on the same database trusting another identity provider: its issuer signs with
 * the dev issuer's key (published by the first instance's JWKS), under another `iss`.
 */
let otherProvider: TestServer;
const OTHER_ISSUER = 'https://other-idp.example/';

beforeAll(async () => {
  server = await startTestServer();
  otherProvider = await startPeerServer(server, {
    AUTH_JWKS_URL: `${server.url}/.well-known/jwks.json`,
    AUTH_ISSUER: OTHER_ISSUER,
    AUTH_AUDIENCE: server.issuer.audience,
  });
});
afterAll(async () => {
  await otherProvider?.stop();
  await server?.stop();
});

const VIEWER = '{ viewer { user { id email } tenant { slug } roles memberships { tenant { slug } } } }';

/** A token of the dev issuer with exactly these identity claims (the issuer's own `sign` always verifies). */
const tokenWith = (claims: Record<string, unknown>) =>
  server.signRaw({
    iss: server.issuer.issuer,
    aud: server.issuer.audience,
    exp: Math.floor(Date.now() / 1000) + 600,
    ...claims,
  });

const usersWith = (filter: Record<string, unknown>) =>
  server.app.services.database.platform.collection('users').find(filter);

describe('users just in time', () => {
  it('the first verified request creates the user, in no tenant; later ones find the same user', async () => {
    const token = await tokenWith({ sub: 'idp|1001', email: 'Newcomer@Example.com', email_verified: true });
    const first = await server.gql<{ viewer: { user: { id: string; email: string } } }>(VIEWER, { auth: token });
    expect(first.errors).toBeUndefined();
    expect(first.data!.viewer).toEqual({
      user: { id: expect.any(String), email: 'newcomer@example.com' },
      tenant: null,
      roles: [],
      memberships: [],
    });
    const again = await server.gql<{ viewer: { user: { id: string } } }>(VIEWER, { auth: token });
    expect(again.data!.viewer.user.id).toBe(first.data!.viewer.user.id);
    const stored = await usersWith({ subject: 'idp|1001' });
    expect(stored).toEqual([expect.objectContaining({ issuer: server.issuer.issuer, email: 'newcomer@example.com' })]);
    // Belonging to no tenant, the newcomer reads no tenant data.
    expect(codes(await server.gql('{ parks { nodes { id } } }', { auth: token }))).toEqual(['FORBIDDEN']);
  });

  it('concurrent first requests create one user', async () => {
    const token = await tokenWith({ sub: 'idp|1002', email: 'burst@example.com', email_verified: true });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => server.gql<{ viewer: { user: { id: string } } }>(VIEWER, { auth: token })),
    );
    expect(answers.map((answer) => answer.errors)).toEqual(answers.map(() => undefined));
    expect(new Set(answers.map((answer) => answer.data!.viewer.user.id)).size).toBe(1);
    expect(await usersWith({ subject: 'idp|1002' })).toHaveLength(1);
  });

  it.each([
    ['an address the provider did not verify', { email: 'unverified@example.com' }, /not verified/],
    ['email_verified as a string', { email: 'unverified@example.com', email_verified: 'true' }, /not verified/],
    ['no email at all', { email_verified: true }, /"email" claim/],
  ])('refuses to create a user for %s (401), and creates none', async (_name, claims, message) => {
    const sub = `idp|refused-${Math.random()}`;
    const answer = await server.gql(VIEWER, { auth: await tokenWith({ sub, ...claims }) });
    expect(answer.status).toBe(401);
    expect(codes(answer)).toEqual(['UNAUTHENTICATED']);
    expect(answer.errors![0]!.message).toMatch(message);
    expect(await usersWith({ subject: sub })).toEqual([]);
  });

  it('never links a new sign-in to an existing user by its address, verified or not', async () => {
    const token = await tokenWith({ sub: 'idp|impostor', email: 'alice@example.com', email_verified: true });
    const answer = await server.gql(VIEWER, { auth: token });
    expect(answer.status).toBe(401);
    expect(codes(answer)).toEqual(['UNAUTHENTICATED']);
    expect(await usersWith({ subject: 'idp|impostor' })).toEqual([]);
    const alice = await server.as<{ viewer: { roles: string[] } }>('alice@example.com', VIEWER);
    expect(alice.data!.viewer.roles).toEqual(['ADMIN']);
  });

  it("the same sub from two issuers is two users, and neither sees the other's memberships", async () => {
    const sub = 'shared|4242';
    const fromDev = await tokenWith({ sub, email: 'first-provider@example.com', email_verified: true });
    const fromOther = await server.signRaw({
      iss: OTHER_ISSUER,
      aud: server.issuer.audience,
      exp: Math.floor(Date.now() / 1000) + 600,
      sub,
      email: 'other-provider@example.com',
      email_verified: true,
    });
    type Viewer = { viewer: { user: { id: string; email: string }; memberships: Array<{ tenant: { slug: string } }> } };
    const first = await server.gql<Viewer>(VIEWER, { auth: fromDev });
    expect(first.errors).toBeUndefined();
    // Alice (texas ADMIN) invites the first provider's user: a membership at once.
    const invited = await server.as(
      'alice@example.com',
      'mutation($e: String!) { inviteMember(email: $e, roles: [EDITOR]) { email } }',
      {
        variables: { e: 'first-provider@example.com' },
        tenant: 'texas',
      },
    );
    expect(invited.errors).toBeUndefined();

    const second = await otherProvider.gql<Viewer>(VIEWER, { auth: fromOther });
    expect(second.errors).toBeUndefined();
    expect(second.data!.viewer.user).toEqual({ id: expect.any(String), email: 'other-provider@example.com' });
    expect(second.data!.viewer.user.id).not.toBe(first.data!.viewer.user.id);
    expect(second.data!.viewer.memberships).toEqual([]);
    const inTexas = await otherProvider.gql('{ parks { nodes { id } } }', {
      auth: fromOther,
      headers: { 'x-tenant-id': 'texas' },
    });
    expect(codes(inTexas)).toEqual(['FORBIDDEN']);

    const again = await server.gql<Viewer>(VIEWER, { auth: fromDev });
    expect(again.data!.viewer.user.id).toBe(first.data!.viewer.user.id);
    expect(again.data!.viewer.memberships).toEqual([{ tenant: { slug: 'texas' } }]);
    const stored = await usersWith({ subject: sub });
    expect(stored.map((user) => [user.issuer, user.email]).sort()).toEqual(
      [
        [OTHER_ISSUER, 'other-provider@example.com'],
        [server.issuer.issuer, 'first-provider@example.com'],
      ].sort(),
    );
  });

  it('an existing user is served whatever the token says of its address now', async () => {
    const token = await tokenWith({ sub: 'dave@example.com', email: 'dave@example.com', email_verified: false });
    const answer = await server.gql<{ viewer: { user: { email: string } } }>(VIEWER, { auth: token });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.viewer.user.email).toBe('dave@example.com');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestServer, type TestServer } from '../support/server.js';

/** A tenant admin adds members by invitation; the answer never tells whether the address is a user. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const INVITE =
  'mutation ($email: String!, $roles: [Role!]!) { inviteMember(email: $email, roles: $roles) { email roles } }';

const rolesIn = async (email: string, tenant: string) => {
  const response = await server.as<{ viewer: { roles: string[] } }>(email, '{ viewer { roles } }', { tenant });
  return response.errors ? codes(response) : response.data!.viewer.roles;
};

describe('inviteMember (tenant admins)', () => {
  it('answers alike for an unknown address and for another tenant’s user', async () => {
    const unknown = await server.as('alice@example.com', INVITE, {
      variables: { email: 'Newhire@Example.com', roles: ['EDITOR'] },
    });
    const known = await server.as('alice@example.com', INVITE, {
      variables: { email: 'bob@example.com', roles: ['EDITOR'] },
    });
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data).toEqual({ inviteMember: { email: 'newhire@example.com', roles: ['EDITOR'] } });
    expect(known.data).toEqual({ inviteMember: { email: 'bob@example.com', roles: ['EDITOR'] } });
    expect(JSON.stringify(known)).not.toMatch(/User:|"id"/);
    // The existing user is a member at once; the new address at its first verified sign-in.
    expect(await rolesIn('bob@example.com', 'texas')).toEqual(['EDITOR']);
    const token = await server.signRaw({
      iss: server.issuer.issuer,
      aud: server.issuer.audience,
      exp: Math.floor(Date.now() / 1000) + 600,
      sub: 'idp|newhire',
      email: 'newhire@example.com',
      email_verified: true,
    });
    const viewer = await server.gql<{ viewer: { roles: string[] } }>('{ viewer { roles } }', {
      auth: token,
      headers: { 'x-tenant-id': 'texas' },
    });
    expect(viewer.data!.viewer.roles).toEqual(['EDITOR']);
  });

  it('is refused to non-admins and to a key, and with bad input, changing nothing', async () => {
    for (const email of ['dave@example.com', 'erin@example.com']) {
      const refused = await server.as(email, INVITE, {
        variables: { email: 'mallory@example.com', roles: ['VIEWER'] },
      });
      expect(codes(refused)).toEqual(['FORBIDDEN']);
    }
    const bad = await server.as('alice@example.com', INVITE, { variables: { email: 'nope', roles: ['VIEWER'] } });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(await rolesIn('mallory@example.com', 'texas')).toEqual(['FORBIDDEN']);
  });
});

import { beforeAll, describe, expect, it, vi } from 'vitest';
import { expectForbiddenClose, openStream, WITHIN_MS } from '../lifecycle/support.js';
import { adminRequest } from '../support/admin.js';
import { codes, type GraphQLResponse, twoInstances, type TestServer } from '../support/server.js';

/** CONTRACT.md section 10 over real HTTP and WebSocket, each step also tried by who must not succeed. */
const CACHE_TTL = { MEMBERSHIP_CACHE_TTL_MS: '60000' };
const instances = twoInstances(CACHE_TTL);
let a: TestServer;
let b: TestServer;
beforeAll(() => {
  ({ a, b } = instances);
});

const admin = adminRequest;

const bearer = async (email: string, server: TestServer = a) => ({
  authorization: `Bearer ${await server.token(email)}`,
});
const asOlivia = async <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
  admin<T>(a, query, { variables, headers: await bearer('olivia@example.com') });

describe('who reaches the operator API', () => {
  it('the seeded operator olivia does; she belongs to no tenant and reads no tenant data', async () => {
    const tenants = await asOlivia<{ tenants: Array<{ slug: string; plan: string }> }>('{ tenants { slug plan } }');
    expect(tenants.errors).toBeUndefined();
    expect(tenants.data!.tenants.map((t) => t.slug)).toEqual(
      expect.arrayContaining(['texas', 'washington', 'colorado']),
    );
    expect(codes(await a.as('olivia@example.com', '{ parks { nodes { id } } }'))).toEqual(['FORBIDDEN']);
  });

  it('a tenant admin, an API key, the gateway secret alone and no credential do not', async () => {
    const query = '{ tenants { slug } }';
    const alice = await admin(a, query, { headers: await bearer('alice@example.com') });
    expect(alice.status).toBe(403);
    expect(codes(alice)).toEqual(['FORBIDDEN']);
    expect(alice.data).toBeUndefined();

    const key = await a.as<{ createApiKey: { secret: string } }>(
      'alice@example.com',
      'mutation { createApiKey(input: { name: "ops?", roles: [ADMIN] }) { secret } }',
    );
    const byKey = await admin(a, query, { headers: { 'x-api-key': key.data!.createApiKey.secret } });
    expect(byKey.status).toBe(403);
    expect(codes(byKey)).toEqual(['FORBIDDEN']);

    const gatewayOnly = await admin(a, query, { headers: { 'router-authorization': 'x'.repeat(32) } });
    expect(gatewayOnly.status).toBe(401);
    expect(codes(gatewayOnly)).toEqual(['UNAUTHENTICATED']);
  });

  it('the operator API is not part of the subgraph: its fields are unknown on /graphql', async () => {
    const sdl = await a.as<{ _service: { sdl: string } }>('alice@example.com', '{ _service { sdl } }');
    expect(sdl.data!._service.sdl).not.toMatch(/suspendTenant|createTenant|auditLog/);
    expect(codes(await a.as('olivia@example.com', '{ tenants { slug } }'))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('provisioning a tenant and its first admin', () => {
  it('createTenant, then inviteMember: a pending invitation becomes a membership at first sign-in', async () => {
    const created = await asOlivia<{ createTenant: { slug: string; plan: string; suspended: boolean } }>(
      'mutation { createTenant(slug: "oregon", name: "Oregon Parks", plan: enterprise) { slug plan suspended } }',
    );
    expect(created.data).toEqual({ createTenant: { slug: 'oregon', plan: 'enterprise', suspended: false } });
    const again = await asOlivia('mutation { createTenant(slug: "oregon", name: "Again") { slug } }');
    expect(codes(again)).toEqual(['BAD_USER_INPUT']);
    expect(codes(await asOlivia('mutation { createTenant(slug: "Not A Slug", name: "x") { slug } }'))).toEqual([
      'BAD_USER_INPUT',
    ]);

    const invited = await asOlivia<{ inviteMember: { outcome: string } }>(
      'mutation { inviteMember(tenant: "oregon", email: "Ranger@Oregon.example", roles: [ADMIN]) { outcome email } }',
    );
    expect(invited.data!.inviteMember).toEqual({ outcome: 'PENDING', email: 'ranger@oregon.example' });

    // The ranger signs in for the first time with the identity provider: user, membership, all at once.
    const token = await a.signRaw({
      iss: a.issuer.issuer,
      aud: a.issuer.audience,
      exp: Math.floor(Date.now() / 1000) + 600,
      sub: 'idp|ranger',
      email: 'ranger@oregon.example',
      email_verified: true,
    });
    const viewer = await a.gql<{ viewer: { roles: string[]; tenant: { slug: string } | null } }>(
      '{ viewer { roles tenant { slug } } }',
      { auth: token, headers: { 'x-tenant-id': 'oregon' } },
    );
    expect(viewer.data!.viewer).toEqual({ roles: ['ADMIN'], tenant: { slug: 'oregon' } });
    const park = await a.gql('mutation { createPark(input: { name: "Crater Lake" }) { id } }', {
      auth: token,
      headers: { 'x-tenant-id': 'oregon' },
    });
    expect(park.errors).toBeUndefined();
  });

  it('an invitation of an existing user is a membership at once', async () => {
    const invited = await asOlivia<{ inviteMember: { outcome: string } }>(
      'mutation { inviteMember(tenant: "colorado", email: "mallory@example.com", roles: [VIEWER]) { outcome } }',
    );
    expect(invited.data!.inviteMember.outcome).toBe('MEMBER');
    const mallory = await a.as<{ viewer: { roles: string[] } }>('mallory@example.com', '{ viewer { roles } }', {
      tenant: 'colorado',
    });
    expect(mallory.data!.viewer.roles).toEqual(['VIEWER']);
  });

  it('refuses bad input with BAD_USER_INPUT and an unknown tenant with NOT_FOUND, changing nothing', async () => {
    expect(
      codes(
        await asOlivia(
          'mutation { inviteMember(tenant: "texas", email: "not-an-address", roles: [VIEWER]) { outcome } }',
        ),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      codes(
        await asOlivia(
          'mutation { inviteMember(tenant: "atlantis", email: "a@b.example", roles: [VIEWER]) { outcome } }',
        ),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(codes(await asOlivia('mutation { suspendTenant(slug: "texas", reason: "  ") { slug } }'))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const texas = await asOlivia<{ tenant: { suspended: boolean } }>('{ tenant(slug: "texas") { suspended } }');
    expect(texas.data!.tenant.suspended).toBe(false);
  });
});

describe('suspension', () => {
  it('every request in the tenant gets TENANT_SUSPENDED (403) on every instance, its streams close with 4403, its links stop working, and resume restores it', async () => {
    const key = await a.as<{ createApiKey: { secret: string } }>(
      'alice@example.com',
      'mutation { createApiKey(input: { name: "suspended?", roles: [INTEGRATOR] }) { secret } }',
    );
    const secret = key.data!.createApiKey.secret;
    // A BI export link of texas (its own credential): it works before, not during, and again after.
    const link = await a.as<{ createExportLink: { url: string } }>(
      'alice@example.com',
      'mutation { createExportLink(operationName: "ParksWithCapacity", format: CSV, ttlSeconds: 600) { url } }',
    );
    expect(link.errors).toBeUndefined();
    const linkUrl = link.data!.createExportLink.url;
    expect((await fetch(linkUrl)).status).toBe(200);
    const stream = await openStream(b, { 'x-api-key': secret });
    try {
      expect(stream.subscribed).toBe(true);
      const since = Date.now();
      const suspended = await asOlivia<{ suspendTenant: { suspended: boolean; suspendReason: string } }>(
        'mutation { suspendTenant(slug: "texas", reason: "invoice 42 unpaid") { suspended suspendReason } }',
      );
      expect(suspended.data).toEqual({ suspendTenant: { suspended: true, suspendReason: 'invoice 42 unpaid' } });
      await expectForbiddenClose(stream, since);

      for (const server of [a, b]) {
        await vi.waitFor(
          async () => {
            const alice = await server.as('alice@example.com', '{ parks { nodes { id } } }', { tenant: 'texas' });
            expect(alice.status).toBe(403);
            expect(codes(alice)).toEqual(['TENANT_SUSPENDED']);
          },
          { timeout: WITHIN_MS },
        );
        const byKey = await server.gql('{ viewer { roles } }', { auth: secret });
        expect(codes(byKey)).toEqual(['TENANT_SUSPENDED']);
        const linked = await fetch(linkUrl.replace(a.url, server.url));
        expect(linked.status).toBe(403);
        expect(codes((await linked.json()) as GraphQLResponse)).toEqual(['FORBIDDEN']);
      }
      // Not a member: the suspension is none of mallory's business.
      expect(codes(await a.as('mallory@example.com', '{ parks { nodes { id } } }', { tenant: 'texas' }))).toEqual([
        'FORBIDDEN',
      ]);
      // Other tenants are untouched.
      expect(
        (await b.as('alice@example.com', '{ parks { nodes { id } } }', { tenant: 'washington' })).errors,
      ).toBeUndefined();
    } finally {
      await stream.dispose();
    }

    await asOlivia('mutation { resumeTenant(slug: "texas") { suspended } }');
    for (const server of [a, b]) {
      await vi.waitFor(
        async () => expect((await server.gql('{ viewer { roles } }', { auth: secret })).errors).toBeUndefined(),
        {
          timeout: WITHIN_MS,
        },
      );
    }
    expect((await fetch(linkUrl.replace(a.url, b.url))).status).toBe(200);
    const parks = await b.as<{ parks: { nodes: unknown[] } }>('alice@example.com', '{ parks { nodes { id } } }');
    expect(parks.data!.parks.nodes.length).toBeGreaterThan(0);
  });
});

describe('the audit log', () => {
  it('records who did what, when, to which tenant; readable by operators only', async () => {
    await asOlivia('mutation { setTenantPlan(slug: "washington", plan: standard) { plan } }');
    const log = await asOlivia<{
      auditLog: Array<{ actor: string; action: string; tenant: string; details: string; at: string }>;
    }>('{ auditLog(tenant: "washington", first: 5) { actor action tenant details at } }');
    expect(log.data!.auditLog[0]).toMatchObject({
      actor: 'olivia@example.com',
      action: 'setTenantPlan',
      tenant: 'washington',
    });
    expect(JSON.parse(log.data!.auditLog[0]!.details)).toMatchObject({ to: 'standard' });
    expect(Date.now() - Date.parse(log.data!.auditLog[0]!.at)).toBeLessThan(60_000);
    const all = await asOlivia<{ auditLog: Array<{ action: string }> }>('{ auditLog(first: 100) { action } }');
    expect(all.data!.auditLog.map((e) => e.action)).toEqual(
      expect.arrayContaining(['createTenant', 'inviteMember', 'suspendTenant', 'resumeTenant', 'setTenantPlan']),
    );
    const byAlice = await admin(a, '{ auditLog { action } }', { headers: await bearer('alice@example.com') });
    expect(codes(byAlice)).toEqual(['FORBIDDEN']);
  });
});

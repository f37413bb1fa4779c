import { describe, expect, it } from 'vitest';
import { applyPermissions } from '../../src/authz/permissions.js';
import { permissionMap } from '../../src/modules/application.js';
import { ROLES, type Role } from '../../src/authz/roles.js';
import { apiKeyContext, buildStubSchema, codes, run, userContext } from './support.js';

/*
 * CONTRACT.md section 3, ability by ability, for a caller holding each single role. The ability
 * "subscribe to exportEvents" is a subscription, which `graphql()` cannot run: its rule is covered
 * in rules.test.ts, and the field, per role, in test/events/permissions.test.ts.
 */

const schema = applyPermissions(buildStubSchema(), permissionMap);

interface Ability {
  ability: string;
  allowed: readonly Role[];
  operations: readonly string[];
}

const matrix: readonly Ability[] = [
  {
    ability: 'read parks and reservations',
    allowed: ROLES,
    operations: [
      '{ parks { edges { cursor node { id name region capacity } } pageInfo { hasNextPage endCursor } } }',
      '{ park(id: "p-1") { id name reservations { nodes { id visitorName partySize date status } } } }',
      '{ reservations { nodes { id visitorName partySize date status park { id name } } } }',
      '{ reservation(id: "r-1") { id visitorName park { id } } }',
    ],
  },
  {
    ability: 'create, update, delete parks and reservations',
    allowed: ['EDITOR', 'ADMIN'],
    operations: [
      'mutation { createPark(input: { name: "Enchanted Rock" }) { id name } }',
      'mutation { updatePark(id: "p-1", input: { capacity: 5 }) { id capacity } }',
      'mutation { deletePark(id: "p-1") }',
      `mutation { createReservation(input: { parkId: "p-1", visitorName: "Bo", visitorEmail: "bo@example.com",
        partySize: 1, date: "2026-06-01" }) { id status } }`,
      'mutation { cancelReservation(id: "r-1") { id status } }',
    ],
  },
  {
    ability: 'reservationStats',
    allowed: ['ANALYST', 'EDITOR', 'ADMIN'],
    operations: ['{ reservationStats(groupBy: PARK) { key reservations visitors } }'],
  },
  {
    ability: 'manage members, roles and API keys of the tenant',
    allowed: ['ADMIN'],
    operations: [
      '{ members { roles user { id email } } }',
      '{ apiKeys { id name roles createdAt expiresAt revokedAt lastUsedAt } }',
      'mutation { setMemberRoles(email: "member@example.com", roles: [VIEWER]) { roles user { email } } }',
      'mutation { createApiKey(input: { name: "bi", roles: [ANALYST] }) { secret apiKey { id name roles } } }',
      'mutation { revokeApiKey(id: "k-1") { id revokedAt } }',
    ],
  },
];

const cases = matrix.flatMap(({ ability, allowed, operations }) =>
  ROLES.flatMap((role) =>
    operations.map((operation) => ({ ability, role, allowed: allowed.includes(role), operation })),
  ),
);

describe('the role matrix (CONTRACT.md section 3)', () => {
  it.each(cases)('$ability: $role allowed=$allowed: $operation', async ({ role, allowed, operation }) => {
    const result = await run(schema, userContext([role]), operation);
    if (allowed) {
      expect(result.errors).toBeUndefined();
      expect(result.data).not.toBeNull();
    } else {
      expect(codes(result)).toEqual(['FORBIDDEN']);
      expect(Object.values(result.data ?? {}).every((value) => value === null)).toBe(true);
    }
  });

  describe('reservation PII (visitorEmail)', () => {
    const query = '{ reservation(id: "r-1") { id visitorName visitorEmail } }';

    it.each(['EDITOR', 'ADMIN'] as const)('%s reads it', async (role) => {
      const result = await run(schema, userContext([role]), query);
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({
        reservation: { id: 'r-1', visitorName: 'Ann', visitorEmail: 'ann@example.com' },
      });
    });

    it.each(['VIEWER', 'ANALYST', 'INTEGRATOR'] as const)(
      '%s gets null and FORBIDDEN, the rest of the reservation intact',
      async (role) => {
        const result = await run(schema, userContext([role]), query);
        expect(result.data).toEqual({ reservation: { id: 'r-1', visitorName: 'Ann', visitorEmail: null } });
        expect(codes(result)).toEqual(['FORBIDDEN']);
        expect(result.errors?.[0]?.path).toEqual(['reservation', 'visitorEmail']);
      },
    );
  });

  it('rights are the union of the roles held', async () => {
    const ctx = userContext(['VIEWER', 'ANALYST']);
    const stats = await run(schema, ctx, '{ reservationStats(groupBy: MONTH) { key } }');
    expect(stats.errors).toBeUndefined();
    const pii = await run(schema, ctx, '{ reservation(id: "r-1") { visitorEmail } }');
    expect(codes(pii)).toEqual(['FORBIDDEN']);
  });

  describe('a user who belongs to no tenant', () => {
    const ctx = userContext([], null);

    it('reads viewer', async () => {
      const result = await run(
        schema,
        ctx,
        '{ viewer { user { id email } tenant { id } roles memberships { roles } } }',
      );
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({
        viewer: { user: { id: 'u-1', email: 'user@example.com' }, tenant: null, roles: [], memberships: [] },
      });
    });

    it('reads no tenant data', async () => {
      const result = await run(schema, ctx, '{ parks { nodes { id } } }');
      expect(codes(result)).toEqual(['FORBIDDEN']);
    });
  });

  it('roles without an active tenant grant nothing', async () => {
    const result = await run(schema, userContext(['ADMIN'], null), '{ parks { nodes { id } } }');
    expect(codes(result)).toEqual(['FORBIDDEN']);
  });

  it('switchTenant and the viewer types are open to every user', async () => {
    const result = await run(
      schema,
      userContext(['VIEWER']),
      'mutation { switchTenant(slug: "texas") { tenant { id slug name } roles memberships { roles tenant { slug } } } }',
    );
    expect(result.errors).toBeUndefined();
  });

  describe('an API key', () => {
    it('has the rights of its roles', async () => {
      const result = await run(schema, apiKeyContext(['ANALYST']), '{ reservationStats(groupBy: PARK) { key } }');
      expect(result.errors).toBeUndefined();
    });

    it('reads viewer but cannot switch tenant', async () => {
      const ctx = apiKeyContext(['ADMIN']);
      expect((await run(schema, ctx, '{ viewer { roles tenant { slug } } }')).errors).toBeUndefined();
      expect(codes(await run(schema, ctx, 'mutation { switchTenant(slug: "texas") { roles } }'))).toEqual([
        'FORBIDDEN',
      ]);
    });
  });

  it('_service (the SDL for the gateway) is open to authenticated callers', async () => {
    const result = await run(schema, userContext([], null), '{ _service { sdl } }');
    expect(result.errors).toBeUndefined();
    expect(JSON.stringify(result.data)).toContain('type Park');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/authz/roles.js';
import { codes, startTestServer, type TestServer } from '../support/server.js';

/**
 * CONTRACT.md section 3, ability by ability, for a caller holding exactly one role in texas (an API
 * key per role, created by texas's admin; for ANALYST the user erin, see below), over real HTTP: allowed abilities succeed, the others are
 * FORBIDDEN.
 */
let server: TestServer;
const keyOf = new Map<Role, string>();
let parkId: string;

const ABILITIES: Record<string, { allowed: Role[]; query: () => string }> = {
  'read parks and reservations': {
    allowed: ['VIEWER', 'ANALYST', 'EDITOR', 'INTEGRATOR', 'ADMIN'],
    query: () =>
      '{ parks(first: 3) { nodes { id name region capacity } } reservations(first: 3) { nodes { id visitorName partySize date status park { name } } } }',
  },
  'read reservation PII': {
    allowed: ['EDITOR', 'ADMIN'],
    query: () => '{ reservations(first: 3) { nodes { id visitorEmail } } }',
  },
  'create parks': {
    allowed: ['EDITOR', 'ADMIN'],
    query: () => 'mutation { createPark(input: { name: "Matrix Park", capacity: 10 }) { id } }',
  },
  'update parks': {
    allowed: ['EDITOR', 'ADMIN'],
    query: () => `mutation { updatePark(id: "${parkId}", input: { capacity: 11 }) { id capacity } }`,
  },
  'create reservations': {
    allowed: ['EDITOR', 'ADMIN'],
    query: () =>
      `mutation { createReservation(input: { parkId: "${parkId}", visitorName: "M", visitorEmail: "m@example.com", partySize: 2, date: "2026-12-01" }) { id } }`,
  },
  'reservation stats': {
    allowed: ['ANALYST', 'EDITOR', 'ADMIN'],
    query: () => '{ reservationStats(groupBy: MONTH) { key reservations visitors } }',
  },
  'manage API keys': {
    allowed: ['ADMIN'],
    query: () => '{ apiKeys { id name roles } }',
  },
  'manage members': {
    allowed: ['ADMIN'],
    query: () => '{ members { user { email } roles } }',
  },
};

beforeAll(async () => {
  server = await startTestServer();
  for (const role of ['VIEWER', 'ANALYST', 'EDITOR', 'INTEGRATOR', 'ADMIN'] as const) {
    const created = await server.as<{ createApiKey: { secret: string } }>(
      'alice@example.com',
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
      { variables: { input: { name: `matrix ${role}`, roles: [role] } } },
    );
    expect(created.errors).toBeUndefined();
    keyOf.set(role, created.data!.createApiKey.secret);
  }
  // An API key whose only role is ANALYST runs trusted persisted operations only (CONTRACT.md section 7,
  // test/bi/): the ANALYST column is checked with erin, a user who is exactly a texas analyst.
  keyOf.set('ANALYST', await server.token('erin@example.com'));
  const parks = await server.as<{ parks: { nodes: Array<{ id: string }> } }>(
    'alice@example.com',
    '{ parks(first: 1) { nodes { id } } }',
  );
  parkId = parks.data!.parks.nodes[0]!.id;
});

afterAll(() => server?.stop());

describe.each(Object.entries(ABILITIES))('%s', (_name, ability) => {
  it.each(['VIEWER', 'ANALYST', 'EDITOR', 'INTEGRATOR', 'ADMIN'] as const)('as %s', async (role) => {
    const response = await server.gql(ability.query(), { auth: keyOf.get(role)! });
    if (ability.allowed.includes(role)) {
      expect(response.errors).toBeUndefined();
      expect(response.data).toBeTruthy();
    } else {
      expect(response.errors?.length).toBeGreaterThan(0);
      expect(new Set(codes(response))).toEqual(new Set(['FORBIDDEN']));
    }
  });
});

describe('users', () => {
  it('a viewer user reads parks but not visitor emails', async () => {
    const response = await server.as<{
      reservations: { nodes: Array<{ visitorName: string; visitorEmail: string | null }> };
    }>('dave@example.com', '{ reservations(first: 2) { nodes { visitorName visitorEmail } } }');
    expect(response.data?.reservations.nodes.length).toBe(2);
    expect(response.data?.reservations.nodes.every((r) => r.visitorName && r.visitorEmail === null)).toBe(true);
    expect(new Set(codes(response))).toEqual(new Set(['FORBIDDEN']));
  });

  it('a user with several roles gets their union (carol: admin + analyst in colorado)', async () => {
    const response = await server.as(
      'carol@example.com',
      '{ viewer { roles tenant { slug } } reservationStats(groupBy: PARK) { key } apiKeys { id } }',
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.viewer).toEqual({ roles: ['ANALYST', 'ADMIN'], tenant: { slug: 'colorado' } });
  });

  it('a user with no membership (mallory) sees who she is and nothing of any tenant', async () => {
    const viewer = await server.as(
      'mallory@example.com',
      '{ viewer { user { email } tenant { slug } roles memberships { roles } } }',
    );
    expect(viewer.data?.viewer).toEqual({
      user: { email: 'mallory@example.com' },
      tenant: null,
      roles: [],
      memberships: [],
    });
    const parks = await server.as('mallory@example.com', '{ parks { nodes { id } } }');
    expect(codes(parks)).toEqual(['FORBIDDEN']);
    expect(parks.data).toBeNull();
  });

  it('an API key cannot switch tenants, only users can', async () => {
    const response = await server.gql('mutation { switchTenant(slug: "texas") { tenant { slug } } }', {
      auth: keyOf.get('ADMIN')!,
    });
    expect(codes(response)).toEqual(['FORBIDDEN']);
  });
});

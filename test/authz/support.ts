import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Principal } from '../../src/auth/principal.js';
import type { Role } from '../../src/authz/roles.js';
import type { ActiveTenant, RequestContext } from '../../src/context.js';
import { notFound } from '../../src/errors.js';
import { loadTypeDefs } from '../../src/schema/type-defs.js';

/** The part of the request context that rules read; the rest of RequestContext is not needed here. */
export type AuthzContext = Pick<RequestContext, 'principal' | 'tenant' | 'roles'>;

export const texas: ActiveTenant = { id: 't-texas', slug: 'texas', name: 'Texas', plan: 'standard' };

const user: Principal = {
  kind: 'user',
  userId: 'u-1',
  subject: 'idp|u-1',
  email: 'user@example.com',
  expiresAt: new Date('2100-01-01T00:00:00Z'),
};

/** A user acting in Texas with `roles`; `tenant: null` for a user who belongs to no tenant. */
export function userContext(roles: readonly Role[], tenant: ActiveTenant | null = texas): AuthzContext {
  return { principal: user, tenant, roles: new Set(roles) };
}

export function apiKeyContext(roles: readonly Role[]): AuthzContext {
  return {
    principal: {
      kind: 'apiKey',
      keyId: 'k-1',
      name: 'bi',
      tenantId: texas.id,
      roles,
      grantorId: 'u-1',
      expiresAt: null,
      operations: null,
    },
    tenant: texas,
    roles: new Set(roles),
  };
}

const park = { id: 'p-1', name: 'Big Bend', region: 'West', capacity: 100 };
const reservation = {
  id: 'r-1',
  parkId: park.id,
  visitorName: 'Ann',
  visitorEmail: 'ann@example.com',
  partySize: 2,
  date: '2026-05-01',
  status: 'CONFIRMED',
};
const apiKey = {
  id: 'k-1',
  name: 'bi',
  roles: ['ANALYST'],
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: null,
  revokedAt: null,
  lastUsedAt: null,
};
const member = { user: { id: 'u-2', email: 'member@example.com' }, roles: ['VIEWER'] };

const connection = <T extends { id: string }>(nodes: T[]) => ({
  edges: nodes.map((node) => ({ cursor: node.id, node })),
  nodes,
  pageInfo: { hasNextPage: false, endCursor: nodes.at(-1)?.id ?? null },
});

/** Ids with which the `park` stubs fail, to see what becomes of a resolver's error. */
export const MISSING_ID = 'missing';
export const FAILING_ID = 'boom';
export const DRIVER_MESSAGE = 'connect ECONNREFUSED mongodb://db.internal:27017';

function findPark(id: string) {
  if (id === MISSING_ID) {
    throw notFound('Park');
  }
  if (id === FAILING_ID) {
    throw new Error(DRIVER_MESSAGE);
  }
  return park;
}

/** Resolvers that return fixed objects: what is under test is the permission layer around them. */
const stubResolvers = {
  Query: {
    viewer: (_: unknown, __: unknown, ctx: AuthzContext) => ({
      user: { id: 'u-1', email: 'user@example.com' },
      tenant: ctx.tenant,
      roles: [...ctx.roles],
      memberships: ctx.tenant ? [{ tenant: ctx.tenant, roles: [...ctx.roles] }] : [],
    }),
    park: (_: unknown, args: { id: string }) => findPark(args.id),
    parks: () => connection([park]),
    reservation: () => reservation,
    reservations: () => connection([reservation]),
    reservationStats: () => [{ key: park.id, reservations: 1, visitors: 2 }],
    members: () => [member],
    apiKeys: () => [apiKey],
  },
  Mutation: {
    createPark: () => park,
    updatePark: (_: unknown, args: { id: string }) => findPark(args.id),
    deletePark: () => park.id,
    createReservation: () => reservation,
    cancelReservation: () => ({ ...reservation, status: 'CANCELLED' }),
    switchTenant: (_: unknown, __: unknown, ctx: AuthzContext) => stubResolvers.Query.viewer(undefined, undefined, ctx),
    setMemberRoles: () => member,
    createApiKey: () => ({ apiKey, secret: 'tgk_secret' }),
    revokeApiKey: () => ({ ...apiKey, revokedAt: '2026-02-01T00:00:00.000Z' }),
  },
  Park: {
    __resolveReference: (ref: { id: string }) => (ref.id === park.id ? park : null),
    reservations: () => connection([reservation]),
  },
  Reservation: {
    __resolveReference: (ref: { id: string }) => (ref.id === reservation.id ? reservation : null),
    park: () => park,
  },
  Tenant: {
    __resolveReference: (ref: { id: string }) => (ref.id === texas.id ? texas : null),
  },
};

export function buildStubSchema(typeDefs: DocumentNode = loadTypeDefs()): GraphQLSchema {
  return buildSubgraphSchema([{ typeDefs, resolvers: stubResolvers }]);
}

export function run(
  schema: GraphQLSchema,
  ctx: AuthzContext,
  source: string,
  variableValues?: Record<string, unknown>,
): Promise<ExecutionResult> {
  return graphql({ schema, source, contextValue: ctx, variableValues });
}

export const codes = (result: ExecutionResult) => (result.errors ?? []).map((error) => error.extensions.code);

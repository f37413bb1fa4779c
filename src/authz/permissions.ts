import type { GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { deny, shield, type IRule } from 'graphql-shield';
import { forbidden, internalError, isAppError } from '../errors.js';
import { assertEveryFieldHasARule, type PermissionMap } from './coverage.js';
import {
  canAnalyze,
  canExportEvents,
  canManageTenant,
  canReadPii,
  canReadTenantData,
  canWrite,
  isAuthenticated,
  isUser,
} from './rules.js';

/*
 * What this map protects, and what it does not:
 * - Every field of every object type below runs its rule before its resolver, root fields and
 *   nested ones alike, whatever path led to the object (a `Reservation` reached through
 *   `Park.reservations`, a mutation result or `_entities` is checked the same way).
 * - `_entities` is guarded as a field, but federation loads each entity through the type's
 *   `__resolveReference`, which is not a field resolver, so shield never wraps it (graphql-shield
 *   #1387). A `__resolveReference` therefore runs for any tenant member and must itself scope to the
 *   active tenant (returning null for another tenant's id), as every root resolver does. The
 *   objects it returns are then checked field by field: a VIEWER gets `visitorEmail` FORBIDDEN there
 *   as anywhere else.
 * - Rules decide who may read a field; which rows exist for the caller is the data layer's business
 *   (TenantDb). A rule never sees another tenant's object because no resolver returns one.
 * - Types that are reachable only through a guarded field (`User`, `Membership`, `Viewer`) carry
 *   `isAuthenticated`: `User.email` is the caller's own address (Viewer.user) or, for admins, a
 *   member's (Member.user behind `members`/`setMemberRoles`).
 * - Scalars, enums, unions and input types have no resolvers and need no rules.
 * - Error masking (`toClientError`) sees only what a field resolver throws or its promise rejects
 *   with. A rejected promise inside a returned list escapes it, and `_entities` returns exactly such
 *   a list when `__resolveReference` is async: that error reaches graphql-js with its own message.
 *   The server's error formatter must therefore mask every error that is not an AppError as well.
 */

/** Every field under one rule: the map stays field by field, so a new field still needs a line. */
const allOf = (rule: IRule, ...fields: string[]): Record<string, IRule> =>
  Object.fromEntries(fields.map((field) => [field, rule]));

/** THE permission map: the role matrix of CONTRACT.md section 3, field by field. */
export const permissionMap = {
  Query: {
    viewer: isAuthenticated,
    park: canReadTenantData,
    parks: canReadTenantData,
    reservation: canReadTenantData,
    reservations: canReadTenantData,
    reservationStats: canAnalyze,
    members: canManageTenant,
    apiKeys: canManageTenant,
    trustedOperations: canAnalyze, // a BI author needs the names and hashes of what can run
    _entities: canReadTenantData,
    _service: isAuthenticated,
  },
  Mutation: {
    createPark: canWrite,
    updatePark: canWrite,
    deletePark: canWrite,
    createReservation: canWrite,
    cancelReservation: canWrite,
    switchTenant: isUser, // an API key is bound to its tenant
    setMemberRoles: canManageTenant,
    createApiKey: canManageTenant,
    revokeApiKey: canManageTenant,
    registerTrustedOperation: canManageTenant,
    removeTrustedOperation: canManageTenant,
    createExportLink: canAnalyze, // BI persisted operations (contract section 3): analyst, editor, admin
    rotateExportLinkSecret: canManageTenant,
  },

  Park: allOf(canReadTenantData, 'id', 'name', 'region', 'capacity', 'reservations'),
  ParkConnection: allOf(canReadTenantData, 'edges', 'nodes', 'pageInfo'),
  ParkEdge: allOf(canReadTenantData, 'cursor', 'node'),
  Reservation: {
    ...allOf(canReadTenantData, 'id', 'park', 'visitorName', 'partySize', 'date', 'status'),
    visitorEmail: canReadPii,
  },
  ReservationConnection: allOf(canReadTenantData, 'edges', 'nodes', 'pageInfo'),
  ReservationEdge: allOf(canReadTenantData, 'cursor', 'node'),
  PageInfo: allOf(canReadTenantData, 'hasNextPage', 'endCursor'),
  ReservationStat: allOf(canAnalyze, 'key', 'reservations', 'visitors'),

  Viewer: allOf(isAuthenticated, 'user', 'tenant', 'roles', 'memberships'),
  User: allOf(isAuthenticated, 'id', 'email'),
  Membership: allOf(isAuthenticated, 'tenant', 'roles'),
  Tenant: allOf(isAuthenticated, 'id', 'slug', 'name'),

  Member: allOf(canManageTenant, 'user', 'roles'),
  ApiKey: allOf(
    canManageTenant,
    'id',
    'name',
    'roles',
    'createdAt',
    'expiresAt',
    'revokedAt',
    'lastUsedAt',
    'operations',
    'createdBy',
  ),
  CreatedApiKey: allOf(canManageTenant, 'apiKey', 'secret'),
  TrustedOperation: allOf(canAnalyze, 'id', 'name', 'body', 'source', 'createdAt'),
  ExportLink: allOf(canAnalyze, 'url', 'expiresAt'),

  _Service: allOf(isAuthenticated, 'sdl'),

  // The rule guards `subscribe` (the field has no `resolve`, see src/events/subscription.ts), so it
  // runs once when the subscription starts, before anything is read; the fields, on every event.
  Subscription: { exportEvents: canExportEvents },
  ExportEvent: allOf(
    canExportEvents,
    'id',
    'specversion',
    'type',
    'source',
    'subject',
    'time',
    'datacontenttype',
    'data',
    'tenant',
    'cursor',
  ),
} satisfies PermissionMap;

/**
 * Maps what reaches shield's error hook: `null` when a rule denied, else what a resolver threw
 * (allowExternalErrors is off, so every resolver error passes here). Our own errors carry a code
 * and a safe message and go out unchanged; anything else is masked, its original kept as `cause`
 * for the server's error formatter to log.
 */
function toClientError(thrown: unknown): Error {
  if (thrown === null) {
    return forbidden();
  }
  if (isAppError(thrown)) {
    return thrown;
  }
  const masked = internalError();
  masked.cause = thrown;
  return masked;
}

/** The shield middleware for the permission map: deny by default, no error detail leaks. */
export function buildPermissions() {
  return shield(permissionMap, {
    fallbackRule: deny,
    fallbackError: toClientError,
    allowExternalErrors: false,
    debug: false,
    // Called only for rules with the 'strict' cache, which rules.ts never uses: should one appear,
    // this makes it deny rather than cache by parent and arguments.
    hashFunction: () => {
      throw new Error("graphql-shield 'strict' cache is not allowed");
    },
  });
}

/**
 * The schema with the permissions applied. Checks first that every field has a rule, so a field
 * added without one stops the start-up instead of being silently denied at run time.
 */
export function applyPermissions(schema: GraphQLSchema): GraphQLSchema {
  assertEveryFieldHasARule(schema, permissionMap);
  return applyMiddleware(schema, buildPermissions());
}

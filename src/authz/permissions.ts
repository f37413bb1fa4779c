import type { GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { deny, shield, type IRule } from 'graphql-shield';
import { forbidden, toClientError } from '../errors.js';
import { assertEveryFieldHasARule, type PermissionMap } from './coverage.js';
import { assertEveryFieldGuarded, fieldsToGuard } from './guard-plan.js';
import { can } from './rules.js';

/*
 * What the permission map protects, and what it does not:
 * - Every field of every object type has a rule, and that rule holds wherever the field resolves,
 *   whatever path led to the object (a `Reservation` reached through `Park.reservations`, a mutation
 *   result or `_entities` alike). Root fields run theirs when they resolve, once per operation; a
 *   nested field runs its own only when some way into its type does not already imply it (see
 *   guard-plan.ts, whose start-up check proves the rest).
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
 * - Error masking (`maskError`) sees only what a field resolver throws or its promise rejects
 *   with. A rejected promise inside a returned list escapes it, and `_entities` returns exactly such
 *   a list when `__resolveReference` is async: that error reaches graphql-js with its own message.
 *   The server's error formatter must therefore mask every error that is not an AppError as well.
 */

/**
 * THE permission map: every module's block (its `permissions`, see src/modules/module.ts) merged
 * field by field. Two modules giving a rule to the same field is a mistake that stops the start-up,
 * as a rule silently overriding another would be.
 */
export function mergePermissionBlocks(
  blocks: Iterable<{ name: string; permissions: PermissionMap }>,
): Record<string, Record<string, IRule>> {
  const merged: Record<string, Record<string, IRule>> = {};
  const owners = new Map<string, string>();
  for (const { name, permissions } of blocks) {
    for (const [type, fields] of Object.entries(permissions)) {
      const target = merged[type] ?? {};
      merged[type] = target;
      for (const [field, fieldRule] of Object.entries(fields)) {
        const key = `${type}.${field}`;
        const owner = owners.get(key);
        if (owner !== undefined) throw new Error(`${key} has a rule in module ${owner} and in module ${name}`);
        owners.set(key, name);
        target[field] = fieldRule;
      }
    }
  }
  return merged;
}

/**
 * The fields of `type` that hold personal data: those the map guards with the `readPii` ability.
 * This is the one declaration of personal data; export events withhold the same fields.
 */
export function piiFieldsOf(map: PermissionMap, type: string): string[] {
  const readPii = can('readPii');
  return Object.entries(map[type] ?? {})
    .filter(([, fieldRule]) => fieldRule === readPii)
    .map(([field]) => field);
}

/**
 * Maps what reaches shield's error hook: `null` when a rule denied, else what a resolver threw
 * (allowExternalErrors is off, so every resolver error passes here), turned into the client's
 * error by src/errors.ts: our own errors unchanged, a database that did not answer
 * SERVICE_UNAVAILABLE, anything else masked with its original kept as `cause` for the log.
 */
function maskError(thrown: unknown): Error {
  return thrown === null ? forbidden() : toClientError(thrown);
}

/** The shield middleware for a permission map: deny by default, no error detail leaks. */
export function buildPermissions(map: PermissionMap) {
  return shield(map as Record<string, Record<string, IRule>>, {
    fallbackRule: deny,
    fallbackError: maskError,
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
 * The schema with the permissions applied where they must run (guard-plan.ts): shield's middleware
 * on the root fields, on the fields whose rule may depend on the row and on those whose rule is more
 * than the fields leading to them ask (personal data); every other field resolves unwrapped, its rule
 * implied by the fields above it. Checks first that every field has a rule, so a field added without
 * one stops the start-up instead of being silently denied at run time, and then that the fields left
 * unwrapped are implied on every path into their type.
 */
export function applyPermissions(schema: GraphQLSchema, map: PermissionMap): GraphQLSchema {
  assertEveryFieldHasARule(schema, map);
  const guarded = fieldsToGuard(schema, map);
  assertEveryFieldGuarded(schema, map, guarded);
  const middleware = buildPermissions(map).generate(schema) as Record<string, Record<string, unknown>>;
  const kept = Object.fromEntries(
    Object.entries(middleware).map(([type, fields]) => [
      type,
      Object.fromEntries(Object.entries(fields).filter(([field]) => guarded.has(`${type}.${field}`))),
    ]),
  );
  return applyMiddleware(schema, kept as never);
}

import { concatAST, parse, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { rule } from 'graphql-shield';
import { describe, expect, it } from 'vitest';
import { assertEveryFieldGuarded, fieldsToGuard } from '../../src/authz/guard-plan.js';
import { applyPermissions } from '../../src/authz/permissions.js';
import { can, implies, isAuthenticated, isUser } from '../../src/authz/rules.js';
import { permissionMap } from '../../src/modules/application.js';
import { loadTypeDefs } from '../../src/schema/type-defs.js';
import { buildStubSchema, codes, run, userContext } from './support.js';

/**
 * Field wrapping only where the rule must run (src/authz/guard-plan.ts), tried by the paths that
 * could open a field: a second way into a type with a weaker rule, an interface, federation's
 * `_entities`, a rule that reads the row. In each case the planner must wrap the field, and the
 * start-up check must refuse a plan that does not.
 */
const park = { id: 'p-1', name: 'Big Bend', region: 'West', capacity: 100 };

/** The stub schema with `sdl` added, `resolve` giving each new root field its answer. */
function extended(sdl: string, resolve: Record<string, () => unknown>): GraphQLSchema {
  const schema = buildStubSchema(concatAST([loadTypeDefs(), parse(sdl)]));
  const query = schema.getQueryType() as GraphQLObjectType;
  for (const [field, answer] of Object.entries(resolve)) query.getFields()[field]!.resolve = answer;
  return schema;
}

const isRoot = (coordinate: string) => /^(Query|Mutation|Subscription)\./.test(coordinate);

describe('the guard plan of the schema of schema/', () => {
  const schema = buildStubSchema();

  it('wraps the root fields and personal data, nothing else', () => {
    const guarded = fieldsToGuard(schema, permissionMap);
    expect([...guarded].filter((coordinate) => !isRoot(coordinate))).toEqual(['Reservation.visitorEmail']);
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
    for (const type of roots) {
      for (const field of Object.keys(type!.getFields())) expect(guarded).toContain(`${type!.name}.${field}`);
    }
  });

  it('passes the start-up check, which refuses the plan without the personal data', () => {
    const guarded = fieldsToGuard(schema, permissionMap);
    expect(() => assertEveryFieldGuarded(schema, permissionMap, guarded)).not.toThrow();
    const without = new Set([...guarded].filter((coordinate) => coordinate !== 'Reservation.visitorEmail'));
    expect(() => assertEveryFieldGuarded(schema, permissionMap, without)).toThrow(
      /Reservation\.visitorEmail \(reachable through \S+, whose rule does not imply its own\)/,
    );
  });

  it('refuses a plan that leaves a root field unwrapped', () => {
    const without = new Set([...fieldsToGuard(schema, permissionMap)].filter((c) => c !== 'Query.apiKeys'));
    expect(() => assertEveryFieldGuarded(schema, permissionMap, without)).toThrow(/Query\.apiKeys \(a root field\)/);
  });

  it('still denies personal data inside a list to a VIEWER, and gives it to an EDITOR', async () => {
    const guardedSchema = applyPermissions(buildStubSchema(), permissionMap);
    const query = '{ parks { nodes { name reservations { nodes { visitorName visitorEmail } } } } }';
    const viewer = await run(guardedSchema, userContext(['VIEWER']), query);
    expect(codes(viewer)).toEqual(['FORBIDDEN']);
    expect(viewer.errors?.[0]?.path).toEqual(['parks', 'nodes', 0, 'reservations', 'nodes', 0, 'visitorEmail']);
    const editor = await run(guardedSchema, userContext(['EDITOR']), query);
    expect(editor.errors).toBeUndefined();
    expect(JSON.stringify(editor.data)).toContain('ann@example.com');
  });
});

describe('a field reachable by another path', () => {
  it('through a second field with a weaker rule: every field of the type is wrapped again', async () => {
    const schema = extended('extend type Query { anyPark: Park }', { anyPark: () => park });
    const map = { ...permissionMap, Query: { ...permissionMap.Query, anyPark: isAuthenticated } };
    const guarded = fieldsToGuard(schema, map);
    expect(guarded).toContain('Park.name');
    expect(guarded).toContain('Park.reservations');
    const before = fieldsToGuard(buildStubSchema(), permissionMap);
    expect(() => assertEveryFieldGuarded(schema, map, before)).toThrow(
      /Park\.name \(reachable through Query\.anyPark, whose rule does not imply its own\)/,
    );
    // A member of no tenant passes isAuthenticated, and still reads no park data.
    const result = await run(applyPermissions(schema, map), userContext([], null), '{ anyPark { name } }');
    expect(result.data).toEqual({ anyPark: null });
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.errors?.[0]?.path).toEqual(['anyPark', 'name']);
  });

  it('through an interface: its implementations are entered by a field of the interface type', async () => {
    const schema = extended(
      'interface Named { name: String! } extend type Park implements Named extend type Query { named: [Named!]! }',
      {
        named: () => [{ ...park, __typename: 'Park' }],
      },
    );
    (schema.getType('Named') as unknown as { resolveType: () => string }).resolveType = () => 'Park';
    const map = { ...permissionMap, Query: { ...permissionMap.Query, named: isAuthenticated } };
    expect(fieldsToGuard(schema, map)).toContain('Park.name');
    const result = await run(applyPermissions(schema, map), userContext([], null), '{ named { name } }');
    expect(codes(result)).toEqual(['FORBIDDEN']);
  });

  it("through federation's _entities: a weaker rule there wraps every entity's fields", () => {
    const schema = buildStubSchema();
    const map = { ...permissionMap, Query: { ...permissionMap.Query, _entities: isAuthenticated } };
    const guarded = fieldsToGuard(schema, map);
    for (const field of ['Park.name', 'Reservation.partySize']) expect(guarded).toContain(field);
    // Tenant's fields ask for a verified caller only, which isAuthenticated already is.
    expect(guarded).not.toContain('Tenant.slug');
    expect(() => assertEveryFieldGuarded(schema, map, fieldsToGuard(schema, permissionMap))).toThrow(
      /Park\.id \(reachable through Query\._entities, /,
    );
  });

  it('a rule that reads the row is always wrapped, even under a stronger rule', () => {
    const ownParkOnly = rule('ownParkOnly', { cache: 'no_cache' })((parent: { id?: string }) => parent.id === 'p-1');
    const map = { ...permissionMap, Park: { ...permissionMap.Park, capacity: ownParkOnly } };
    expect(fieldsToGuard(buildStubSchema(), map)).toContain('Park.capacity');
  });
});

describe('rule implication', () => {
  it('follows the abilities table: every writer reads, no reader writes', () => {
    expect(implies(can('write'), can('readTenantData'))).toBe(true);
    expect(implies(can('readTenantData'), can('write'))).toBe(false);
    expect(implies(can('readTenantData'), can('readPii'))).toBe(false);
    expect(implies(can('manageTenant'), can('analyze'))).toBe(true);
    expect(implies(can('exportEvents'), can('readPii'))).toBe(false);
  });

  it('a role rule implies a verified caller, not an end user', () => {
    expect(implies(can('readTenantData'), isAuthenticated)).toBe(true);
    expect(implies(isUser, isAuthenticated)).toBe(true);
    expect(implies(can('manageTenant'), isUser)).toBe(false);
    expect(implies(isAuthenticated, can('readTenantData'))).toBe(false);
  });
});

import {
  getNamedType,
  isAbstractType,
  isIntrospectionType,
  isObjectType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { IRule } from 'graphql-shield';
import type { PermissionMap } from './coverage.js';
import { implies, readsScopeOnly } from './rules.js';

/** A field of the schema, `Type.field`. */
export type Coordinate = `${string}.${string}`;

/** A way into an object type: a field (of any object type, root types included) that returns it. */
export interface Entrance {
  field: Coordinate;
  rule: IRule | undefined;
}

/** The root types: their fields are where an operation starts, whatever it selects below them. */
export function rootTypeNames(schema: GraphQLSchema): Set<string> {
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
  return new Set(roots.filter((type) => type != null).map((type) => type.name));
}

const objectTypes = (schema: GraphQLSchema): GraphQLObjectType[] =>
  Object.values(schema.getTypeMap()).filter(
    (type): type is GraphQLObjectType => isObjectType(type) && !isIntrospectionType(type),
  );

/**
 * Every way into each object type: every field of every object type whose type, unwrapped from its
 * lists and non-nulls, is that type, or an interface or union it is a possible type of (federation's
 * `_entities` returns the `_Entity` union: every entity is entered through it too). Fields of
 * interfaces are not ways in: graphql-js resolves a field on the concrete object type, whose own
 * field (and rule) is the one listed.
 */
export function entrancesOf(schema: GraphQLSchema, map: PermissionMap): Map<string, Entrance[]> {
  const entrances = new Map<string, Entrance[]>();
  for (const type of objectTypes(schema)) {
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type);
      const reached = isObjectType(target) ? [target] : isAbstractType(target) ? schema.getPossibleTypes(target) : [];
      for (const object of reached) {
        const list = entrances.get(object.name) ?? [];
        list.push({ field: `${type.name}.${field.name}`, rule: map[type.name]?.[field.name] });
        entrances.set(object.name, list);
      }
    }
  }
  return entrances;
}

/**
 * Why a field needs no check of its own, or null when it does: its type is not a root type, it is
 * entered at least one way, and the rule of every way in implies the field's own rule. Rules read the
 * scope only, so when every entrance was allowed for this caller (checked itself, or by the same
 * argument one level up), so is the field: by induction from the root fields, which are always checked.
 */
function impliedBy(
  type: GraphQLObjectType,
  rule: IRule | undefined,
  roots: ReadonlySet<string>,
  entrances: ReadonlyMap<string, readonly Entrance[]>,
): readonly Entrance[] | null {
  if (rule === undefined || roots.has(type.name) || !readsScopeOnly(rule)) return null;
  const ways = entrances.get(type.name) ?? [];
  if (ways.length === 0) return null;
  return ways.every((way) => way.rule !== undefined && implies(way.rule, rule)) ? ways : null;
}

/**
 * The fields whose rule must run where the field is resolved (graphql-shield wraps these and no
 * other): every root field (checked once per operation, before anything under it resolves), every
 * field whose rule may depend on the row, and every field some way into whose type does not already
 * imply its rule (`Reservation.visitorEmail`: `can(readPii)` is more than the `can(readTenantData)`
 * of the fields that return a Reservation). Every other field's rule is decided by the fields above it.
 */
export function fieldsToGuard(schema: GraphQLSchema, map: PermissionMap): Set<Coordinate> {
  const roots = rootTypeNames(schema);
  const entrances = entrancesOf(schema, map);
  const guarded = new Set<Coordinate>();
  for (const type of objectTypes(schema)) {
    for (const field of Object.keys(type.getFields())) {
      if (impliedBy(type, map[type.name]?.[field], roots, entrances) === null) guarded.add(`${type.name}.${field}`);
    }
  }
  return guarded;
}

/**
 * The start-up proof that applying the rules to `guarded` only leaves no field open: every field of
 * every object type has its own rule (assertEveryFieldHasARule) and is either guarded, or every way
 * into its type — through any field, interface, union or federation's `_entities` — carries a rule
 * that implies its own. Throws listing each field that fails, with the way in that does not imply it.
 */
export function assertEveryFieldGuarded(
  schema: GraphQLSchema,
  map: PermissionMap,
  guarded: ReadonlySet<Coordinate>,
): void {
  const roots = rootTypeNames(schema);
  const entrances = entrancesOf(schema, map);
  const problems: string[] = [];
  for (const type of objectTypes(schema)) {
    for (const field of Object.keys(type.getFields())) {
      const coordinate: Coordinate = `${type.name}.${field}`;
      if (guarded.has(coordinate)) continue;
      const rule = map[type.name]?.[field];
      if (impliedBy(type, rule, roots, entrances) !== null) continue;
      const open = (entrances.get(type.name) ?? []).find((way) => !way.rule || !rule || !implies(way.rule, rule));
      problems.push(
        roots.has(type.name)
          ? `${coordinate} (a root field)`
          : open
            ? `${coordinate} (reachable through ${open.field}, whose rule does not imply its own)`
            : `${coordinate} (its rule may depend on the row, or its type has no way in)`,
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(`Fields left without a check on some path: ${problems.join(', ')}`);
  }
}

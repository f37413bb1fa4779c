import { isIntrospectionType, isObjectType, type GraphQLSchema } from 'graphql';
import type { IRule } from 'graphql-shield';

/**
 * A permission map in the one shape this service allows: a rule per field, per object type. Rules
 * for a whole type or a `'*'` wildcard are left out on purpose: they would hand a field added later
 * a right that nobody wrote down.
 */
export type PermissionMap = Readonly<Record<string, Readonly<Record<string, IRule>>>>;

/**
 * The start-up check that every field of every object type (introspection types aside) has its own
 * rule in `map`. Throws one error listing every `Type.field` without a rule, and every wildcard. Shield's fallback rule
 * would deny such a field anyway; failing here makes the omission a failed start-up and a failed
 * test rather than a field that silently answers FORBIDDEN.
 */
export function assertEveryFieldHasARule(schema: GraphQLSchema, map: PermissionMap): void {
  const problems: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) {
      continue;
    }
    const rules = map[type.name];
    if (rules?.['*'] !== undefined) {
      problems.push(`${type.name}.* (a wildcard; name each field)`);
    }
    for (const field of Object.keys(type.getFields())) {
      if (rules?.[field] === undefined) {
        problems.push(`${type.name}.${field}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `Fields without a rule of their own in the permission map (the modules' permissions): ${problems.join(', ')}`,
    );
  }
}

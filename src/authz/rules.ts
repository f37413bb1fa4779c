import { rule, type IRule } from 'graphql-shield';
import { rolesWith, type Ability } from './abilities.js';
import type { Role } from './roles.js';

/*
 * Every rule is `cache: 'contextual'`. graphql-shield keeps its caches on the context object
 * (`ctx._shield.cache`), which is created per request, so an answer lives exactly as long as the
 * request that asked: the context must therefore never be shared between requests. 'contextual'
 * keys by rule name alone, right for rules that read only the caller; 'strict' would also hash
 * parent and arguments on every field, and 'no_cache' re-runs the rule on every field.
 * The rules themselves are Set lookups, cheap enough for shield, which consults one on every field.
 *
 * Names are passed as the first argument of `rule`: shield 7.6.5 ignores the `name` of the
 * options-object form and gives such a rule a random name, which would defeat both the cache and
 * shield's check that one name means one rule.
 */
const CONTEXTUAL = { cache: 'contextual' } as const;

/** What a rule reads of the request context: the verified scope, nothing else. */
export interface RuleContext {
  /** The verified caller (src/auth/principal.ts), by its kind. */
  principal: { kind: string } | null;
  tenant: object | null;
  roles: ReadonlySet<Role>;
}

/** A verified caller (a user, an API key or an export link). */
export const isAuthenticated = rule(
  'isAuthenticated',
  CONTEXTUAL,
)((_parent, _args, ctx: RuleContext) => ctx.principal != null);

/** An end user (not an API key): only users have a `User`, memberships and a stored active tenant. */
export const isUser = rule('isUser', CONTEXTUAL)((_parent, _args, ctx: RuleContext) => ctx.principal?.kind === 'user');

const abilityRules = new Map<Ability, IRule>();

/**
 * The rule of an ability of the abilities table (abilities.ts): holds one of its roles in the active
 * tenant (a caller without an active tenant holds none). One rule per ability, named after it and
 * memoised: shield's contextual cache is keyed by name, and shield refuses two different rules under
 * one name. Abilities with the same roles stay distinct rules, so that what a field is guarded by
 * (personal data: `readPii`) can be read back from the permission map.
 */
export function can(ability: Ability): IRule {
  const existing = abilityRules.get(ability);
  if (existing) return existing;
  const roles = rolesWith(ability);
  const created = rule(
    `can(${ability})`,
    CONTEXTUAL,
  )((_parent, _args, ctx: RuleContext) => ctx.tenant != null && roles.some((role) => ctx.roles.has(role)));
  abilityRules.set(ability, created);
  return created;
}

/** Every field under one rule: the map stays field by field, so a new field still needs a line. */
export const allOf = (rule: IRule, ...fields: string[]): Record<string, IRule> =>
  Object.fromEntries(fields.map((field) => [field, rule]));

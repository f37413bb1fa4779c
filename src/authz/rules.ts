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

/**
 * What a scope rule asks of the verified scope, as data: every scope rule needs a verified caller;
 * `user` asks for an end user, `roles` for an active tenant and one of these roles in it. Read by
 * `implies` to decide which fields need no check of their own (guard-plan.ts).
 */
interface ScopeRequirement {
  user: boolean;
  roles: readonly Role[] | null;
}

/**
 * The rules that read nothing but the verified scope (never the parent object, the arguments or the
 * row): their answer is the same for every field of one operation. A rule not listed here is
 * treated as depending on the row.
 */
const scopeRequirements = new Map<IRule, ScopeRequirement>();

/** A verified caller (a user, an API key or an export link). */
export const isAuthenticated = rule(
  'isAuthenticated',
  CONTEXTUAL,
)((_parent, _args, ctx: RuleContext) => ctx.principal != null);
scopeRequirements.set(isAuthenticated, { user: false, roles: null });

/** An end user (not an API key): only users have a `User`, memberships and a stored active tenant. */
export const isUser = rule('isUser', CONTEXTUAL)((_parent, _args, ctx: RuleContext) => ctx.principal?.kind === 'user');
scopeRequirements.set(isUser, { user: true, roles: null });

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
  )(
    (_parent, _args, ctx: RuleContext) =>
      ctx.principal != null && ctx.tenant != null && roles.some((role) => ctx.roles.has(role)),
  );
  abilityRules.set(ability, created);
  scopeRequirements.set(created, { user: false, roles });
  return created;
}

/** True when `rule` reads only the verified scope: one answer per operation, whatever the row. */
export const readsScopeOnly = (rule: IRule): boolean => scopeRequirements.has(rule);

/**
 * True when every caller that `held` lets through, `implied` lets through too: both read the scope
 * only, `implied` asks for an end user only if `held` does, and for roles only if `held` asks for
 * some of them all (`can('write')` implies `can('readTenantData')`: every writer reads).
 */
export function implies(held: IRule, implied: IRule): boolean {
  const a = scopeRequirements.get(held);
  const b = scopeRequirements.get(implied);
  if (!a || !b) return false;
  if (b.user && !a.user) return false;
  if (b.roles === null) return true;
  const required = b.roles;
  return a.roles?.every((role) => required.includes(role)) ?? false;
}

/** Every field under one rule: the map stays field by field, so a new field still needs a line. */
export const allOf = (rule: IRule, ...fields: string[]): Record<string, IRule> =>
  Object.fromEntries(fields.map((field) => [field, rule]));

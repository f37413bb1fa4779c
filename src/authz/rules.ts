import { rule, type IRule } from 'graphql-shield';
import type { RequestContext } from '../context.js';
import { ROLES, type Role } from './roles.js';

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

/** A verified caller, user or API key. */
export const isAuthenticated = rule(
  'isAuthenticated',
  CONTEXTUAL,
)((_parent, _args, ctx: RequestContext) => ctx.principal != null);

/** An end user (not an API key): only users have a `User`, memberships and a stored active tenant. */
export const isUser = rule(
  'isUser',
  CONTEXTUAL,
)((_parent, _args, ctx: RequestContext) => ctx.principal?.kind === 'user');

const roleRules = new Map<string, IRule>();

/**
 * Holds at least one of `roles` in the active tenant (a caller without an active tenant holds none).
 * The rule's name is derived from the role set and the rule is memoised on it: shield's contextual
 * cache is keyed by name, and shield refuses two different rules under one name, so the same set
 * must always be the same rule (`canWrite` and `canReadPii` are one rule under two names).
 */
export function hasRole(...roles: readonly Role[]): IRule {
  const wanted = ROLES.filter((role) => roles.includes(role));
  if (wanted.length === 0) {
    throw new Error('hasRole needs at least one role');
  }
  const name = `hasRole(${wanted.join('|')})`;
  const existing = roleRules.get(name);
  if (existing) {
    return existing;
  }
  const created = rule(
    name,
    CONTEXTUAL,
  )((_parent, _args, ctx: RequestContext) => ctx.tenant != null && wanted.some((role) => ctx.roles.has(role)));
  roleRules.set(name, created);
  return created;
}

/** Who may read personal data (`visitorEmail`): the rule below, and the filter of export event data. */
export const PII_READERS: readonly Role[] = ['EDITOR', 'ADMIN'];
/** Who may run `reservationStats` and BI persisted operations: the rule below, and the BI safelist. */
export const ANALYSTS: readonly Role[] = ['ANALYST', 'EDITOR', 'ADMIN'];

/** The abilities of the contract's role matrix (CONTRACT.md section 3) and the roles that hold each. */
export const ABILITIES = {
  readTenantData: ROLES,
  readPii: PII_READERS,
  write: ['EDITOR', 'ADMIN'],
  analyze: ANALYSTS,
  exportEvents: ['INTEGRATOR', 'ADMIN'],
  manageTenant: ['ADMIN'],
} as const satisfies Record<string, readonly Role[]>;

/** True when `roles` holds any of `wanted`: for checks made outside a field (event data, persisted operations). */
export const holdsAny = (roles: ReadonlySet<Role>, wanted: readonly Role[]): boolean =>
  wanted.some((role) => roles.has(role));

/** One rule per ability. */
export const canReadTenantData = hasRole(...ABILITIES.readTenantData);
export const canReadPii = hasRole(...ABILITIES.readPii);
export const canWrite = hasRole(...ABILITIES.write);
export const canAnalyze = hasRole(...ABILITIES.analyze);
export const canExportEvents = hasRole(...ABILITIES.exportEvents);
export const canManageTenant = hasRole(...ABILITIES.manageTenant);

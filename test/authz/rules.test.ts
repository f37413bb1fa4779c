import { buildSchema, graphql } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { deny, shield, type IRule } from 'graphql-shield';
import { describe, expect, it } from 'vitest';
import { forbidden } from '../../src/errors.js';
import { ABILITIES, holds, type Ability } from '../../src/authz/abilities.js';
import { can, isAuthenticated, isUser } from '../../src/authz/rules.js';
import { ROLES, type Role } from '../../src/authz/roles.js';
import { apiKeyContext, userContext, type AuthzContext } from './support.js';

/** Whether `rule` lets `ctx` through, asked the way shield asks it: around a field resolver. */
async function allows(rule: IRule, ctx: AuthzContext): Promise<boolean> {
  const permissions = shield(
    { Query: { probe: rule } },
    {
      fallbackRule: deny,
      fallbackError: () => forbidden(),
      debug: false,
      allowExternalErrors: false,
      hashFunction: () => '',
    },
  );
  const schema = applyMiddleware(buildSchema('type Query { probe: Boolean }'), permissions);
  const result = await graphql({ schema, source: '{ probe }', rootValue: { probe: true }, contextValue: ctx });
  return result.data?.probe === true;
}

/** The role matrix of the contract (section 3), written out again here so that the table is checked against it. */
const CONTRACT: Record<Ability, readonly Role[]> = {
  readTenantData: ROLES,
  readPii: ['EDITOR', 'ADMIN'],
  write: ['EDITOR', 'ADMIN'],
  readUsage: ['ANALYST', 'ADMIN'],
  analyze: ['ANALYST', 'EDITOR', 'ADMIN'],
  exportEvents: ['INTEGRATOR', 'ADMIN'],
  manageTenant: ['ADMIN'],
};

const abilities: Record<string, { rule: IRule; roles: readonly Role[] }> = Object.fromEntries(
  Object.entries(CONTRACT).map(([ability, roles]) => [ability, { rule: can(ability as Ability), roles }]),
);

const cases = Object.entries(abilities).flatMap(([name, { rule, roles }]) =>
  ROLES.map((role) => ({ name, rule, role, expected: roles.includes(role) })),
);

describe('the abilities table', () => {
  it('is the role matrix of the contract, row by row', () => {
    expect(Object.fromEntries(ABILITIES.map((row) => [row.ability, row.roles]))).toEqual(CONTRACT);
  });

  it.each(cases)('holds($role, $name) is $expected, outside a field as inside', ({ name, role, expected }) => {
    expect(holds(new Set([role]), name as Ability)).toBe(expected);
  });
});

describe('rules', () => {
  it.each(cases)('$name for $role: $expected', async ({ rule, role, expected }) => {
    expect(await allows(rule, userContext([role]))).toBe(expected);
    expect(await allows(rule, apiKeyContext([role]))).toBe(expected);
  });

  it('role rules need an active tenant', async () => {
    for (const { rule } of Object.values(abilities)) {
      expect(await allows(rule, userContext(ROLES, null))).toBe(false);
    }
  });

  it('isAuthenticated lets users and API keys through; isUser only users', async () => {
    expect(await allows(isAuthenticated, userContext([], null))).toBe(true);
    expect(await allows(isAuthenticated, apiKeyContext(['VIEWER']))).toBe(true);
    expect(await allows(isUser, userContext([], null))).toBe(true);
    expect(await allows(isUser, apiKeyContext(['ADMIN']))).toBe(false);
  });

  it('one ability is one named rule, and abilities with the same roles stay apart', () => {
    expect(can('write')).toBe(can('write'));
    expect(can('write')).not.toBe(can('readPii'));
    expect(can('write').name).toBe('can(write)');
    expect(can('manageTenant').name).toBe('can(manageTenant)');
    expect(isAuthenticated.name).toBe('isAuthenticated');
  });

  it('an ability the table does not hold is refused', () => {
    expect(() => can('fly' as Ability)).toThrow(/Unknown ability/);
  });
});

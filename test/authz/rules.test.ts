import { buildSchema, graphql } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { deny, shield, type IRule } from 'graphql-shield';
import { describe, expect, it } from 'vitest';
import { forbidden } from '../../src/errors.js';
import {
  canAnalyze,
  canExportEvents,
  canManageTenant,
  canReadPii,
  canReadTenantData,
  canWrite,
  hasRole,
  isAuthenticated,
  isUser,
} from '../../src/authz/rules.js';
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

const abilities: Record<string, { rule: IRule; roles: readonly Role[] }> = {
  canReadTenantData: { rule: canReadTenantData, roles: ROLES },
  canReadPii: { rule: canReadPii, roles: ['EDITOR', 'ADMIN'] },
  canWrite: { rule: canWrite, roles: ['EDITOR', 'ADMIN'] },
  canAnalyze: { rule: canAnalyze, roles: ['ANALYST', 'EDITOR', 'ADMIN'] },
  canExportEvents: { rule: canExportEvents, roles: ['INTEGRATOR', 'ADMIN'] },
  canManageTenant: { rule: canManageTenant, roles: ['ADMIN'] },
};

const cases = Object.entries(abilities).flatMap(([name, { rule, roles }]) =>
  ROLES.map((role) => ({ name, rule, role, expected: roles.includes(role) })),
);

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

  it('one role set is one named rule, whatever the order or the alias', () => {
    expect(hasRole('ADMIN', 'EDITOR')).toBe(hasRole('EDITOR', 'ADMIN'));
    expect(canWrite).toBe(canReadPii);
    expect(canWrite.name).toBe('hasRole(EDITOR|ADMIN)');
    expect(canManageTenant.name).toBe('hasRole(ADMIN)');
    expect(isAuthenticated.name).toBe('isAuthenticated');
  });

  it('hasRole refuses an empty role set', () => {
    expect(() => hasRole()).toThrow(/at least one role/);
  });
});

import { concatAST, parse } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { describe, expect, it } from 'vitest';
import { assertEveryFieldHasARule } from '../../src/authz/coverage.js';
import { applyPermissions, buildPermissions } from '../../src/authz/permissions.js';
import { can } from '../../src/authz/rules.js';
import { permissionMap } from '../../src/modules/application.js';
import { loadTypeDefs } from '../../src/schema/type-defs.js';
import { buildStubSchema, codes, run, userContext } from './support.js';

const withNewField = () =>
  buildStubSchema(concatAST([loadTypeDefs(), parse('extend type Park { secretNotes: String }')]));

describe('every field has a rule', () => {
  it('holds for the schema of schema/', () => {
    expect(() => assertEveryFieldHasARule(buildStubSchema(), permissionMap)).not.toThrow();
  });

  it('a field added without a rule fails the check, and so the start-up', () => {
    expect(() => assertEveryFieldHasARule(withNewField(), permissionMap)).toThrow(/Park\.secretNotes/);
    expect(() => applyPermissions(withNewField(), permissionMap)).toThrow(/Park\.secretNotes/);
  });

  it('lists every field without a rule, the federation ones included', () => {
    const { _entities: _ignored, ...queryWithoutEntities } = { ...permissionMap.Query };
    const map = { ...permissionMap, Query: queryWithoutEntities, _Service: {} };
    expect(() => assertEveryFieldHasARule(buildStubSchema(), map)).toThrow(/Query\._entities, .*_Service\.sdl/);
  });

  it('a wildcard does not count as a rule', () => {
    const map = { ...permissionMap, Park: { ...permissionMap.Park, '*': can('readTenantData') } };
    expect(() => assertEveryFieldHasARule(buildStubSchema(), map)).toThrow(/Park\.\*/);
  });

  it('without the check, the fallback rule still denies the field at run time', async () => {
    const schema = applyMiddleware(withNewField(), buildPermissions(permissionMap));
    const result = await run(schema, userContext(['ADMIN']), '{ park(id: "p-1") { id secretNotes } }');
    expect(result.data).toEqual({ park: { id: 'p-1', secretNotes: null } });
    expect(codes(result)).toEqual(['FORBIDDEN']);
  });
});

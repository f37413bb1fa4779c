import { describe, expect, it } from 'vitest';
import { applyPermissions } from '../../src/authz/permissions.js';
import { permissionMap } from '../../src/modules/application.js';
import { buildStubSchema, codes, run, texas, userContext } from './support.js';

/*
 * Federation resolves `_entities` through `__resolveReference`, which is no field resolver and so is
 * not wrapped by shield (graphql-shield #1387). What the permission map guarantees instead: the
 * `_entities` field itself is guarded, and the field rules run on every entity it returns.
 */

const schema = applyPermissions(buildStubSchema(), permissionMap);

const entities = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Reservation { id visitorName visitorEmail park { name } }
    ... on Park { id name }
    ... on Tenant { id slug }
  }
}`;

const reservationRef = { __typename: 'Reservation', id: 'r-1' };

describe('_entities', () => {
  it('runs the field rules on a returned Reservation: visitorEmail is FORBIDDEN for a VIEWER', async () => {
    const result = await run(schema, userContext(['VIEWER']), entities, { representations: [reservationRef] });
    expect(result.data).toEqual({
      _entities: [{ id: 'r-1', visitorName: 'Ann', visitorEmail: null, park: { name: 'Big Bend' } }],
    });
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.errors?.[0]?.path).toEqual(['_entities', 0, 'visitorEmail']);
  });

  it('gives an EDITOR the visitorEmail', async () => {
    const result = await run(schema, userContext(['EDITOR']), entities, { representations: [reservationRef] });
    expect(result.errors).toBeUndefined();
    expect(result.data).toMatchObject({ _entities: [{ visitorEmail: 'ann@example.com' }] });
  });

  it('resolves every entity type for a tenant member, and null for an unknown id', async () => {
    const representations = [
      { __typename: 'Park', id: 'p-1' },
      { __typename: 'Tenant', id: texas.id },
      { __typename: 'Park', id: 'p-of-another-tenant' },
    ];
    const result = await run(schema, userContext(['VIEWER']), entities, { representations });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      _entities: [{ id: 'p-1', name: 'Big Bend' }, { id: texas.id, slug: 'texas' }, null],
    });
  });

  it('is refused to a caller without an active tenant', async () => {
    const result = await run(schema, userContext([], null), entities, { representations: [reservationRef] });
    expect(result.data).toBeNull();
    expect(codes(result)).toEqual(['FORBIDDEN']);
  });
});

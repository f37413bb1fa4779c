import { describe, expect, it } from 'vitest';
import { applyPermissions } from '../../src/authz/permissions.js';
import { permissionMap } from '../../src/modules/application.js';
import { AppError } from '../../src/errors.js';
import { buildStubSchema, codes, DRIVER_MESSAGE, FAILING_ID, MISSING_ID, run, userContext } from './support.js';

const schema = applyPermissions(buildStubSchema(), permissionMap);

describe('errors through the permission layer', () => {
  it('a denied field is FORBIDDEN with a generic message', async () => {
    const result = await run(schema, userContext(['VIEWER']), '{ members { roles } }');
    expect(result.errors?.map((error) => [error.message, error.extensions.code])).toEqual([
      ['Not allowed', 'FORBIDDEN'],
    ]);
  });

  it('an AppError thrown by a resolver reaches the caller unchanged', async () => {
    const result = await run(schema, userContext(['VIEWER']), `{ park(id: "${MISSING_ID}") { id } }`);
    expect(result.data).toEqual({ park: null });
    expect(codes(result)).toEqual(['NOT_FOUND']);
    expect(result.errors?.[0]?.message).toBe('Park not found');
    expect(result.errors?.[0]?.originalError).toBeInstanceOf(AppError);
  });

  it('an AppError of a mutation reaches the caller unchanged', async () => {
    const result = await run(
      schema,
      userContext(['EDITOR']),
      `mutation { updatePark(id: "${MISSING_ID}", input: { name: "x" }) { id } }`,
    );
    expect(codes(result)).toEqual(['NOT_FOUND']);
  });

  it('any other error becomes INTERNAL_SERVER_ERROR without its message, kept as cause for the log', async () => {
    const result = await run(schema, userContext(['VIEWER']), `{ park(id: "${FAILING_ID}") { id } }`);
    expect(codes(result)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(result.errors?.[0]?.message).toBe('Internal server error');
    expect(JSON.stringify(result)).not.toContain('mongodb');
    const cause = result.errors?.[0]?.originalError?.cause;
    expect(cause).toBeInstanceOf(Error);
    expect((cause as Error).message).toBe(DRIVER_MESSAGE);
  });

  it('a rule is checked before the resolver runs: a denied caller never sees the resolver error', async () => {
    const result = await run(schema, userContext([], null), `{ park(id: "${FAILING_ID}") { id } }`);
    expect(codes(result)).toEqual(['FORBIDDEN']);
  });
});

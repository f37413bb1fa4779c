import { describe, expect, it } from 'vitest';
import { applyPermissions } from '../../src/authz/permissions.js';
import { permissionMap } from '../../src/modules/application.js';
import { buildStubSchema, codes, run, userContext } from './support.js';

const schema = applyPermissions(buildStubSchema(), permissionMap);
const query = '{ reservations { nodes { id visitorEmail } } }';

describe('rule answers are cached per context object', () => {
  it('two requests with different roles, one after the other, get different answers', async () => {
    const admin = await run(schema, userContext(['ADMIN']), query);
    const viewer = await run(schema, userContext(['VIEWER']), query);
    const again = await run(schema, userContext(['ADMIN']), query);

    expect(admin.errors).toBeUndefined();
    expect(codes(viewer)).toEqual(['FORBIDDEN']);
    expect(again.errors).toBeUndefined();
  });

  it('the cache lives on the context object: a reused context keeps its first answer', async () => {
    // This is why a context must never outlive its request (or be shared between two).
    const ctx = userContext(['ADMIN']);
    await run(schema, ctx, query);
    ctx.roles = new Set(['VIEWER']);
    const reused = await run(schema, ctx, query);
    expect(reused.errors).toBeUndefined();
    expect(Object.keys((ctx as { _shield?: { cache: object } })._shield?.cache ?? {})).toContain('can(readPii)');
  });
});

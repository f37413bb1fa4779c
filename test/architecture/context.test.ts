import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../src/authz/roles.js';
import type { RequestContext } from '../../src/context.js';
import { seedId } from '../../src/seed/seed.js';
import { contextFor } from '../../src/server/request-context.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * At run time, what a resolver or a rule receives: a real context, built as every transport builds
 * it, holds none of the server's long-lived services (the raw database, the platform handle, the
 * identity directory…) anywhere it can reach by property access.
 */
let server: TestServer;
let ctx: RequestContext;

beforeAll(async () => {
  server = await startTestServer();
  ctx = contextFor(server.app.services, {
    requestId: 'architecture',
    principal: {
      kind: 'user',
      userId: seedId('user:alice@example.com'),
      subject: 'alice@example.com',
      email: 'alice@example.com',
      expiresAt: new Date(Date.now() + 60_000),
    },
    tenant: { id: seedId('tenant:texas'), slug: 'texas', name: 'Texas Parks & Wildlife', plan: 'standard' },
    roles: new Set(ROLES),
  });
});

afterAll(() => server?.stop());

/** The names of the getters of the context's class: its capabilities, built on first use. */
const capabilityGetters = (context: object): string[] =>
  Object.entries(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(context)))
    .filter(([, descriptor]) => descriptor.get !== undefined)
    .map(([name]) => name);

/**
 * Every object reachable from `root` through own properties (the logger aside: it is pino's), the
 * context's getters included: they build its capabilities on first use.
 */
function reachable(root: object): Set<unknown> {
  const seen = new Set<unknown>();
  const visit = (value: unknown) => {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
    seen.add(value);
    if (value === ctx.logger) return;
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor && 'value' in descriptor) visit(descriptor.value);
    }
    if (value === ctx) for (const name of capabilityGetters(ctx)) visit(Reflect.get(ctx, name));
  };
  visit(root);
  return seen;
}

describe('a request context', () => {
  it('reaches none of the server’s services, however deep', () => {
    const { services } = server.app;
    const forbidden = new Map<unknown, string>([
      [services, 'services'],
      [services.database, 'database'],
      [services.database.platform, 'database.platform'],
      [services.identity, 'identity'],
      [services.authenticator, 'authenticator'],
      [services.exportFeed, 'exportFeed'],
      [services.bi, 'bi services'],
      [services.config, 'config'],
    ]);
    const found = [...reachable(ctx)].flatMap((value) => forbidden.get(value) ?? []);
    expect(found).toEqual([]);
    // The walk is meaningful: it goes through the capabilities down to their functions.
    expect(reachable(ctx).has(ctx.members?.list)).toBe(true);
  });

  it('offers no way to name another tenant: no forTenant, no platform, no collection outside its own', () => {
    const names = [...reachable(ctx)].flatMap((value) =>
      typeof value === 'object' && value !== null ? Object.keys(value) : [],
    );
    expect(names).not.toContain('forTenant');
    expect(names).not.toContain('platform');
    expect(names).not.toContain('services');
    expect(ctx.db?.tenantId).toBe(seedId('tenant:texas'));
  });

  it('has every capability as a getter, and nothing else', () => {
    expect(capabilityGetters(ctx).sort()).toEqual(
      ['apiKeys', 'bi', 'caller', 'exportEvents', 'jobs', 'limits', 'loaders', 'members'].sort(),
    );
  });

  it('copied as Apollo copies it for each operation, shares its capabilities instead of building them', () => {
    const context = contextFor(server.app.services, { ...ctx, requestId: 'copied' });
    const copy = Object.assign(Object.create(Object.getPrototypeOf(context)) as object, context) as RequestContext;
    expect(Object.keys(copy)).not.toContain('members');
    expect(copy.members).toBe(context.members);
    expect(copy.loaders).toBe(context.loaders);
    expect(context.exportEvents).toBe(copy.exportEvents);
  });

  it('without an active tenant, holds no tenant capability at all', () => {
    const none = contextFor(server.app.services, { ...ctx, tenant: null, roles: new Set() });
    expect([none.db, none.members, none.apiKeys, none.bi, none.exportEvents]).toEqual([null, null, null, null, null]);
  });
});

import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Principal } from '../../src/auth/principal.js';
import type { Role } from '../../src/authz/roles.js';
import type { RequestContext } from '../../src/context.js';
import { forbidden, unauthenticated } from '../../src/errors.js';
import { ConnectionRegistry, type WatchedSocket } from '../../src/server/connection-registry.js';

/** The registry alone, with fake sockets: which changes close which connection, with which code. */
const logger = pino({ level: 'silent' });

const user = (userId: string, expiresInMs = 600_000): Principal => ({
  kind: 'user',
  userId,
  subject: userId,
  email: `${userId}@example.com`,
  expiresAt: new Date(Date.now() + expiresInMs),
});

const contextOf = (principal: Principal, roles: Role[], tenant: string | null = 'texas') =>
  ({
    principal,
    tenant: tenant === null ? null : { id: `id-${tenant}`, slug: tenant, name: tenant },
    roles: new Set(roles),
  }) as unknown as RequestContext;

interface FakeSocket extends WatchedSocket {
  closes: Array<{ code: number; reason: string }>;
  rebuilds: Array<string | null>;
}

/** A socket whose rebuilt context is whatever `now()` gives (or throws). */
function fakeSocket(now: (tenant: string | null) => RequestContext | Promise<RequestContext>): FakeSocket {
  const socket: FakeSocket = {
    closes: [],
    rebuilds: [],
    rebuild: async (tenant) => {
      socket.rebuilds.push(tenant);
      return now(tenant);
    },
    close: (code, reason) => socket.closes.push({ code, reason }),
  };
  return socket;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe('ConnectionRegistry', () => {
  it('a change to another user checks nothing; a change to this user rebuilds in the connection’s tenant', async () => {
    const registry = new ConnectionRegistry(logger);
    const frank = user('frank');
    const socket = fakeSocket(() => contextOf(frank, ['INTEGRATOR']));
    registry.admit({}, socket, contextOf(frank, ['INTEGRATOR']), registry.version);
    registry.onIdentityChange({ kind: 'user', userId: 'dave' });
    registry.onIdentityChange({ kind: 'apiKey', keyId: 'frank' });
    await settle();
    expect(socket.rebuilds).toEqual([]);
    registry.onIdentityChange({ kind: 'user', userId: 'frank' });
    await settle();
    expect(socket.rebuilds).toEqual(['texas']);
    expect(socket.closes).toEqual([]);
  });

  it('closes with 4403 when a role of the connection or of a live operation is gone, not one of a finished operation', async () => {
    const registry = new ConnectionRegistry(logger);
    const alice = user('alice');
    let roles: Role[] = ['VIEWER', 'ANALYST'];
    const socket = fakeSocket(() => contextOf(alice, roles));
    const key = {};
    registry.admit(key, socket, contextOf(alice, ['VIEWER']), registry.version);
    registry.grant(key, 'op-1', contextOf(alice, ['VIEWER', 'ANALYST']), registry.version);
    registry.release(key, 'op-1');
    roles = ['VIEWER'];
    registry.onIdentityChange({ kind: 'user', userId: 'alice' });
    await settle();
    expect(socket.closes).toEqual([]);

    registry.grant(key, 'op-2', contextOf(alice, ['VIEWER']), registry.version);
    roles = ['EDITOR'];
    registry.onIdentityChange({ kind: 'everyone' });
    await settle();
    expect(socket.closes).toEqual([{ code: 4403, reason: 'Forbidden: rights changed' }]);
    expect(registry.size).toBe(0);
  });

  it('checks each tenant a live operation acts in', async () => {
    const registry = new ConnectionRegistry(logger);
    const alice = user('alice');
    const socket = fakeSocket((tenant) => contextOf(alice, tenant === 'washington' ? [] : ['ADMIN'], tenant));
    const key = {};
    registry.admit(key, socket, contextOf(alice, ['ADMIN'], 'texas'), registry.version);
    registry.grant(key, 'op', contextOf(alice, ['VIEWER'], 'washington'), registry.version);
    registry.onIdentityChange({ kind: 'user', userId: 'alice' });
    await settle();
    expect(socket.rebuilds.sort()).toEqual(['texas', 'washington']);
    expect(socket.closes.map((close) => close.code)).toEqual([4403]);
  });

  it('refused credentials close with 4403; an unexpected failure closes with 1011 (fail closed)', async () => {
    const registry = new ConnectionRegistry(logger);
    const revoked = fakeSocket(() => {
      throw unauthenticated('API key revoked');
    });
    const notMember = fakeSocket(() => {
      throw forbidden();
    });
    const broken = fakeSocket(() => {
      throw new Error('server selection timed out');
    });
    registry.admit({}, revoked, contextOf(user('a'), ['VIEWER']), registry.version);
    registry.admit({}, notMember, contextOf(user('b'), ['VIEWER']), registry.version);
    registry.admit({}, broken, contextOf(user('c'), ['VIEWER']), registry.version);
    registry.onIdentityChange({ kind: 'everyone' });
    await settle();
    expect(revoked.closes).toEqual([{ code: 4403, reason: 'Forbidden: credentials no longer valid' }]);
    expect(notMember.closes).toEqual([{ code: 4403, reason: 'Forbidden: rights changed' }]);
    expect(broken.closes).toEqual([{ code: 1011, reason: 'Rights could not be verified' }]);
  });

  it('a connection built before a change it has not seen is checked again when admitted', async () => {
    const registry = new ConnectionRegistry(logger);
    const frank = user('frank');
    const socket = fakeSocket(() => contextOf(frank, []));
    const since = registry.version;
    registry.onIdentityChange({ kind: 'user', userId: 'frank' }); // while its context was being built
    registry.admit({}, socket, contextOf(frank, ['INTEGRATOR']), since);
    await settle();
    expect(socket.closes.map((close) => close.code)).toEqual([4403]);
  });

  it('changes arriving during a check run one more check, not one each', async () => {
    const registry = new ConnectionRegistry(logger);
    const frank = user('frank');
    let release!: () => void;
    const socket = fakeSocket(async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return contextOf(frank, ['INTEGRATOR']);
    });
    registry.admit({}, socket, contextOf(frank, ['INTEGRATOR']), registry.version);
    for (let i = 0; i < 3; i += 1) registry.onIdentityChange({ kind: 'user', userId: 'frank' });
    await settle();
    release();
    await settle();
    release();
    await settle();
    expect(socket.rebuilds).toHaveLength(2);
  });

  it('closes at the expiry, even one beyond setTimeout’s 24.8-day limit, and not before', async () => {
    vi.useFakeTimers();
    const registry = new ConnectionRegistry(logger);
    const days = (n: number) => n * 24 * 3600 * 1000;
    const soon = fakeSocket(() => contextOf(user('a'), []));
    const late = fakeSocket(() => contextOf(user('b'), []));
    registry.admit({}, soon, contextOf(user('a', 2000), ['VIEWER']), registry.version);
    registry.admit({}, late, contextOf(user('b', days(40)), ['VIEWER']), registry.version);
    vi.advanceTimersByTime(1999);
    expect(soon.closes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(soon.closes).toEqual([{ code: 4403, reason: 'Credentials expired' }]);
    vi.advanceTimersByTime(days(39));
    expect(late.closes).toEqual([]);
    vi.advanceTimersByTime(days(1));
    expect(late.closes).toEqual([{ code: 4403, reason: 'Credentials expired' }]);
  });

  it('a forgotten (closed) connection is neither checked nor closed again', async () => {
    const registry = new ConnectionRegistry(logger);
    const socket = fakeSocket(() => contextOf(user('frank'), []));
    const key = {};
    registry.admit(key, socket, contextOf(user('frank', 50), ['INTEGRATOR']), registry.version);
    registry.forget(key);
    registry.onIdentityChange({ kind: 'everyone' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(socket.rebuilds).toEqual([]);
    expect(socket.closes).toEqual([]);
  });
});

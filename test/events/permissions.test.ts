import { parse, subscribe, type ExecutionResult } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal.js';
import { ROLES, type Role } from '../../src/authz/roles.js';
import { contextFor } from '../../src/server/request-context.js';
import { buildSchema } from '../../src/server/schema.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  EXPORT_EVENTS,
  createPark,
  subscribeEvents,
  tenantIdOf,
  type Credentials,
  type EventSubscription,
} from './support.js';

/** Who may subscribe to exportEvents (CONTRACT.md section 3: INTEGRATOR and ADMIN), checked before anything runs. */
let server: TestServer;
const subscriptions: EventSubscription[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await Promise.all(subscriptions.map((subscription) => subscription.stop()));
  await server?.stop();
});

const ALLOWED: readonly Role[] = ['INTEGRATOR', 'ADMIN'];

describe('the rule runs on subscribe, before the resolver reads anything', () => {
  const schema = buildSchema();
  const user: Principal = {
    kind: 'user',
    userId: 'u-1',
    subject: 'u-1',
    email: 'u@example.com',
    expiresAt: new Date(Date.now() + 600_000),
  };

  /** A context whose data layer and feed record every use. */
  function context(roles: readonly Role[]) {
    const touched: string[] = [];
    const record = <T extends object>(name: string, target: T): T =>
      new Proxy(target, {
        get(object, property) {
          touched.push(`${name}.${String(property)}`);
          const value = Reflect.get(object, property, object) as unknown;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
        },
      });
    const services = server.app.services;
    const database = { ...services.database, forTenant: (id: string) => record('db', services.database.forTenant(id)) };
    const ctx = contextFor(
      { ...services, database, exportFeed: record('feed', services.exportFeed), logger: pino({ level: 'silent' }) },
      {
        requestId: 'r-1',
        principal: user,
        tenant: { id: tenantIdOf('texas'), slug: 'texas', name: 'Texas', plan: 'standard' },
        roles: new Set(roles),
      },
    );
    return { ctx, touched };
  }

  const cases = ROLES.map((role) => ({ role, allowed: ALLOWED.includes(role) }));

  it.each(cases)('$role: allowed=$allowed', async ({ role, allowed }) => {
    const { ctx, touched } = context([role]);
    // A malformed cursor: a resolver that ran would answer BAD_USER_INPUT.
    const result = await subscribe({
      schema,
      document: parse(EXPORT_EVENTS),
      contextValue: ctx,
      variableValues: { after: 'garbage' },
    });
    if (allowed) {
      expect((result as ExecutionResult).errors?.map((error) => error.extensions.code)).toEqual(['BAD_USER_INPUT']);
      return;
    }
    expect(Symbol.asyncIterator in result).toBe(false);
    expect((result as ExecutionResult).errors?.map((error) => error.extensions.code)).toEqual(['FORBIDDEN']);
    expect(touched).toEqual([]);
  });

  it.each(cases)('$role without a cursor: a stream opens only when allowed', async ({ role, allowed }) => {
    const { ctx, touched } = context([role]);
    const result = await subscribe({ schema, document: parse(EXPORT_EVENTS), contextValue: ctx });
    if (allowed) {
      expect(Symbol.asyncIterator in result).toBe(true);
      expect(touched).toContain('feed.listen');
      await (result as AsyncGenerator).return(undefined);
    } else {
      expect((result as ExecutionResult).errors?.map((error) => error.extensions.code)).toEqual(['FORBIDDEN']);
      expect(touched).toEqual([]);
    }
  });

  it('several roles: the union of their rights', async () => {
    const { ctx } = context(['VIEWER', 'INTEGRATOR']);
    const result = await subscribe({ schema, document: parse(EXPORT_EVENTS), contextValue: ctx });
    expect(Symbol.asyncIterator in result).toBe(true);
    await (result as AsyncGenerator).return(undefined);
  });
});

describe('over graphql-ws, a refused subscriber never receives an event', () => {
  async function expectRefused(credentials: Credentials, variables: { after?: string } = {}) {
    const feed = server.app.services.exportFeed;
    const before = feed.subscribers();
    const refused = await subscribeEvents(server, credentials, variables, { active: false });
    subscriptions.push(refused);
    const stillOpen = new Promise((_, reject) =>
      setTimeout(() => reject(new Error('the stream was not refused')), 5000),
    );
    await Promise.race([refused.ended, stillOpen]);
    expect(refused.errors.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(feed.subscribers()).toBe(before);
    return refused;
  }

  it.each([
    ['a VIEWER', 'dave@example.com', undefined],
    ['an ANALYST', 'erin@example.com', undefined],
    ['an EDITOR', 'bob@example.com', undefined],
    ['an ADMIN of texas acting in washington, where she is a VIEWER', 'alice@example.com', 'washington'],
    ['a user without a tenant', 'mallory@example.com', undefined],
  ])('%s is refused with FORBIDDEN, and no event follows', async (_name, email, tenant) => {
    const integrator = await subscribeEvents(server, { bearer: await server.token('frank@example.com') });
    subscriptions.push(integrator);
    const refused = await expectRefused({ bearer: await server.token(email), ...(tenant ? { tenant } : {}) });
    await createPark(server, 'alice@example.com', `While ${email} waits`);
    await integrator.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(refused.events).toEqual([]);
  });

  it('a VIEWER is refused before the cursor is looked at: a valid cursor and garbage get the same FORBIDDEN', async () => {
    const integrator = await subscribeEvents(server, { bearer: await server.token('frank@example.com') });
    subscriptions.push(integrator);
    await createPark(server, 'alice@example.com', 'Cursor for the viewer');
    const [event] = await integrator.waitFor(1);
    const viewer = await server.token('dave@example.com');
    await expectRefused({ bearer: viewer }, { after: event!.cursor });
    await expectRefused({ bearer: viewer }, { after: 'garbage' });
  });

  it('API keys: an INTEGRATOR key receives the events, a VIEWER key is refused', async () => {
    const createKey = async (roles: Role[]) => {
      const response = await server.as<{ createApiKey: { secret: string } }>(
        'alice@example.com',
        'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
        { variables: { input: { name: `export ${roles.join()}`, roles } } },
      );
      expect(response.errors).toBeUndefined();
      return response.data!.createApiKey.secret;
    };
    const integrator = await subscribeEvents(server, { bearer: await createKey(['INTEGRATOR']) });
    subscriptions.push(integrator);
    await expectRefused({ bearer: await createKey(['VIEWER']) });
    const park = await createPark(server, 'alice@example.com', 'For the key');
    const [event] = await integrator.waitFor(1);
    expect(event).toMatchObject({ type: 'park.created', subject: park, tenant: 'texas' });
  });
});

import { readFileSync, existsSync } from 'node:fs';
import type { Client } from 'graphql-ws';
import { expect, vi } from 'vitest';
import { wsClient, wsUrl, type WsClose } from '../support/graphql-ws.js';
import type { TestServer } from '../support/server.js';
import { until } from '../support/wait.js';

/**
 * The long-running operation a stream test holds open: the contract's `exportEvents` subscription
 * when the schema has it, else nothing but the connection itself (what any subscription rides on).
 */
const EVENTS_SDL = new URL('../../schema/events.graphql', import.meta.url);
export const HAS_EXPORT_EVENTS = existsSync(EVENTS_SDL) && /\bexportEvents\b/.test(readFileSync(EVENTS_SDL, 'utf8'));

/**
 * Timing tolerance of the "within one second" assertions: the contract's 1000 ms, plus 500 ms for
 * a loaded 2-core CI machine (timer and event-loop jitter, the change stream's delivery). A
 * regression to a cache TTL (5 s by default, 60 s in the tests that set it) still fails clearly.
 */
export const WITHIN_MS = 1500;

export type Closed = WsClose;

export interface Stream {
  client: Client;
  /** Resolves when the connection closes (never rejects). */
  closed: Promise<Closed>;
  /** The close, or null if the connection is still open after `ms`. */
  closedWithin(ms: number): Promise<Closed | null>;
  /** What the subscription's sink got: events, then its error (a close event) or completion. */
  events: unknown[];
  sinkError: unknown;
  /** True when the `exportEvents` subscription runs on the connection. */
  subscribed: boolean;
  dispose(): Promise<void>;
}

/**
 * Connects with these `connection_init` params (no retries) and, when accepted, starts the long
 * operation (unless `subscribe` is false: for callers that may not subscribe, such as a VIEWER).
 * Resolves once the server acknowledged the connection and started the subscription's stream, or
 * once the connection was refused (then `closed` is already settled).
 */
export async function openStream(
  server: TestServer,
  connectionParams: Record<string, unknown>,
  { subscribe = true, after }: { subscribe?: boolean; after?: string } = {},
): Promise<Stream> {
  let settleClosed!: (closed: Closed) => void;
  const closed = new Promise<Closed>((resolve) => (settleClosed = resolve));
  let acknowledged!: () => void;
  const connected = new Promise<void>((resolve) => (acknowledged = resolve));
  const { client, closes } = wsClient(wsUrl(server.url), {
    connectionParams,
    lazy: false,
    onNonLazyError: () => {},
    on: {
      connected: () => acknowledged(),
      closed: () => settleClosed(closes.at(-1)!),
    },
  });
  const stream: Stream = {
    client,
    closed,
    closedWithin: (ms) => Promise.race([closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]),
    events: [],
    sinkError: undefined,
    subscribed: false,
    dispose: async () => {
      await client.dispose();
    },
  };
  const refused = await Promise.race([connected.then(() => false), closed.then(() => true)]);
  if (refused || !HAS_EXPORT_EVENTS || !subscribe) return stream;
  stream.subscribed = true;
  const feed = server.app.services.exportFeed;
  const before = feed.started();
  client.subscribe(
    {
      query: 'subscription ($after: String) { exportEvents(after: $after) { id cursor type subject } }',
      variables: after === undefined ? {} : { after },
    },
    {
      next: (value) => stream.events.push(value),
      error: (error) => (stream.sinkError = error),
      complete: () => (stream.sinkError ??= 'completed'),
    },
  );
  // graphql-ws has no "subscribed" message: wait for the server's feed to start this stream.
  await until(() => feed.started() > before || stream.sinkError !== undefined, 'the stream to start');
  expect(stream.sinkError).toBeUndefined();
  return stream;
}

/** Asserts the stream ended with 4403 within WITHIN_MS of `since`; returns the close. */
export async function expectForbiddenClose(stream: Stream, since: number): Promise<Closed> {
  const closed = await stream.closedWithin(Math.max(since - Date.now(), 0) + WITHIN_MS + 1000);
  expect(closed, 'the connection should have closed').not.toBeNull();
  expect(closed!.code).toBe(4403);
  expect(closed!.at - since).toBeLessThanOrEqual(WITHIN_MS);
  // The client hands the close to the subscription's sink a few ticks after its `closed` event.
  if (stream.subscribed)
    await vi.waitFor(() => expect((stream.sinkError as { code?: number } | undefined)?.code).toBe(4403), {
      timeout: 500,
    });
  return closed!;
}

export const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

/** `exp` of a JWT, in milliseconds. */
export function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number };
  return payload.exp * 1000;
}

/** alice (ADMIN of texas) sets a member's roles in texas on `server`; returns when it committed. */
export async function setRoles(server: TestServer, email: string, roles: string[]): Promise<void> {
  const response = await server.as(
    'alice@example.com',
    'mutation ($email: String!, $roles: [Role!]!) { setMemberRoles(email: $email, roles: $roles) { roles } }',
    {
      variables: { email, roles },
      tenant: 'texas',
    },
  );
  expect(response.errors).toBeUndefined();
}

/**
 * Makes `email` a member of texas with these roles, whether or not it is one now, by writing the
 * membership as an invitation accepted at sign-in would: the identity feed tells every instance.
 */
export async function makeTexasMember(server: TestServer, email: string, roles: string[]): Promise<void> {
  const platform = server.app.services.database.platform;
  const user = await platform.collection('users').findOne({ email });
  const texas = await platform.collection('tenants').findOne({ slug: 'texas' });
  await platform
    .collection('memberships')
    .upsertOne({ tenantId: texas!._id, userId: user!._id }, { $set: { roles, updatedAt: new Date() } });
}

/** alice creates an API key of texas with these roles on `server`; returns its id and secret. */
export async function createKey(server: TestServer, roles: string[]): Promise<{ id: string; secret: string }> {
  const response = await server.as<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
    'alice@example.com',
    'mutation ($roles: [Role!]!) { createApiKey(input: { name: "lifecycle", roles: $roles }) { secret apiKey { id } } }',
    { variables: { roles }, tenant: 'texas' },
  );
  expect(response.errors).toBeUndefined();
  return { id: response.data!.createApiKey.apiKey.id, secret: response.data!.createApiKey.secret };
}

export async function revokeKey(server: TestServer, id: string): Promise<void> {
  const response = await server.as('alice@example.com', 'mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', {
    variables: { id },
    tenant: 'texas',
  });
  expect(response.errors).toBeUndefined();
}

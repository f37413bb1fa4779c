import type { Client } from 'graphql-ws';
import { expect } from 'vitest';
import { latestPosition, publishedPosition } from '../../src/events/outbox.js';
import { seedId } from '../../src/seed/seed.js';
import { collect, wsClient, wsUrl, type WsError } from '../support/graphql-ws.js';
import type { TestServer } from '../support/server.js';
import { until } from '../support/wait.js';

/** Every field of ExportEvent, as an integrator would select them. */
export const EXPORT_EVENTS = /* GraphQL */ `
  subscription ($types: [String!], $after: String) {
    exportEvents(types: $types, after: $after) {
      id specversion type source subject time datacontenttype data tenant cursor
    }
  }
`;

export interface ExportEvent {
  id: string;
  specversion: string;
  type: string;
  source: string;
  subject: string | null;
  time: string;
  datacontenttype: string;
  data: Record<string, unknown>;
  tenant: string;
  cursor: string;
}

export const tenantIdOf = (slug: string) => seedId(`tenant:${slug}`);

/** The position inside a cursor (the tests know its format; clients must not). */
export const positionOf = (cursor: string): number =>
  (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { p: number }).p;

export interface EventSubscription {
  client: Client;
  events: ExportEvent[];
  /** GraphQL errors received (in `next` payloads or an `error` message). */
  errors: WsError[];
  /** Close events and anything else the sink's `error` got that is not a list of GraphQL errors. */
  failures: unknown[];
  /** Resolves when the operation ended (completed or errored). */
  ended: Promise<void>;
  /** Resolves with the events once at least `count` have arrived; fails after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ExportEvent[]>;
  stop(): Promise<void>;
}

export interface Credentials {
  /** A JWT or an API key secret, sent as `Authorization: Bearer …`. */
  bearer: string;
  tenant?: string;
}

/**
 * Subscribes to exportEvents over graphql-ws with the real client and `ws`. With `active` (the
 * default) it resolves only once the server has started the stream (graphql-ws has no "subscribed"
 * acknowledgement), so that what the test commits next is "after the subscription started".
 */
export async function subscribeEvents(
  server: TestServer,
  credentials: Credentials,
  variables: { types?: string[] | null; after?: string | null } = {},
  options: { active?: boolean } = {},
): Promise<EventSubscription> {
  const feed = server.app.services.exportFeed;
  const tenantId = credentials.tenant ? tenantIdOf(credentials.tenant) : undefined;
  const before = feed.started(tenantId);
  const { client } = wsClient(wsUrl(server.url), {
    connectionParams: {
      authorization: `Bearer ${credentials.bearer}`,
      ...(credentials.tenant ? { 'x-tenant-id': credentials.tenant } : {}),
    },
  });
  const stream = collect(
    client,
    { query: EXPORT_EVENTS, variables },
    (data) => (data as { exportEvents?: ExportEvent }).exportEvents,
  );
  const subscription: EventSubscription = {
    client,
    events: stream.values,
    errors: stream.errors,
    failures: stream.failures,
    ended: stream.ended,
    waitFor: (count, timeoutMs) => stream.waitFor(count, timeoutMs),
    async stop() {
      stream.stop();
      await client.dispose();
    },
  };
  if (options.active ?? true) {
    await until(() => feed.started(tenantId) > before || stream.done, 'the subscription to start on the server');
    if (stream.done) throw new Error(`subscription refused: ${JSON.stringify([stream.errors, stream.failures])}`);
  }
  return subscription;
}

/**
 * Resolves once every event of the tenant committed so far is published (has its position in
 * `events`), awaiting the instance's feed rather than polling.
 */
export async function published(server: Pick<TestServer, 'app'>, tenantId: string, timeoutMs = 10_000): Promise<void> {
  const { database, exportFeed } = server.app.services;
  const db = database.forTenant(tenantId);
  let reached!: () => void;
  const done = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let target = Number.POSITIVE_INFINITY;
  const registration = exportFeed.listen(tenantId, {
    event: (event) => {
      if (event.position >= target) reached();
    },
    gap: () => {},
  });
  try {
    target = await latestPosition(db);
    if ((await publishedPosition(db)) >= target) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`events up to ${target} not published in time`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    registration.close();
  }
}

/** Runs a GraphQL mutation as a seeded user and returns its data, failing on any error. */
export async function mutate<T = Record<string, unknown>>(
  server: TestServer,
  email: string,
  query: string,
  variables?: Record<string, unknown>,
  tenant?: string,
): Promise<T> {
  const response = await server.as<T>(email, query, {
    ...(variables ? { variables } : {}),
    ...(tenant ? { tenant } : {}),
  });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data as T;
}

export const CREATE_PARK =
  'mutation ($input: CreateParkInput!) { createPark(input: $input) { id name region capacity } }';
export const UPDATE_PARK =
  'mutation ($id: ID!, $input: UpdateParkInput!) { updatePark(id: $id, input: $input) { id name region capacity } }';
export const DELETE_PARK = 'mutation ($id: ID!) { deletePark(id: $id) }';
export const CREATE_RESERVATION =
  'mutation ($input: CreateReservationInput!) { createReservation(input: $input) { id status } }';
export const CANCEL_RESERVATION = 'mutation ($id: ID!) { cancelReservation(id: $id) { id status } }';

export async function createPark(server: TestServer, email: string, name: string, tenant?: string) {
  const data = await mutate<{ createPark: { id: string } }>(server, email, CREATE_PARK, { input: { name } }, tenant);
  return data.createPark.id;
}

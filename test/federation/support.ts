import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, getGraphQLWSOptions } from '@graphql-hive/gateway-runtime';
import type { Client } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { tenantgraphGatewayOptions } from '../../examples/hive-gateway/gateway.config.js';
import { startWeatherSubgraph, type RunningWeatherSubgraph } from '../../examples/weather-subgraph/server.js';
import { composeSupergraph, tenantgraphSubgraph, weatherSubgraph } from '../../scripts/compose-supergraph.js';
import { collect, wsClient } from '../support/graphql-ws.js';
import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server.js';

/** The supergraph of tenantgraph and the weather example, with the URLs the test servers listen on. */
export function composeForTest(tenantgraphUrl: string, weatherUrl: string): string {
  const outcome = composeSupergraph([tenantgraphSubgraph(tenantgraphUrl), weatherSubgraph(weatherUrl)]);
  if (!outcome.ok) throw new Error(`composition failed: ${JSON.stringify(outcome.problems)}`);
  return outcome.supergraphSdl;
}

export interface RunningGateway {
  /** The gateway's GraphQL endpoint over HTTP. */
  url: string;
  /** The same endpoint over WebSocket (graphql-transport-ws). */
  wsUrl: string;
  post<TData = Record<string, unknown>>(
    query: string,
    options?: { variables?: Record<string, unknown>; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<TData>>;
  stop(): Promise<void>;
}

/**
 * Hive Gateway (its runtime, in-process) in front of the two subgraphs, with the options of
 * examples/hive-gateway/gateway.config.ts (the README's): it forwards the caller's credentials and
 * tenant header to tenantgraph, adds the router secret when one is given, and carries subscriptions
 * to tenantgraph over WebSocket, handing the client's connection_init values on.
 */
export async function startGateway(options: { supergraph: string; gatewaySecret?: string }): Promise<RunningGateway> {
  const gateway = createGatewayRuntime({
    supergraph: options.supergraph,
    logging: process.env.GATEWAY_DEBUG ? 'debug' : false, // GATEWAY_DEBUG=1 npx vitest run test/federation
    ...tenantgraphGatewayOptions(options.gatewaySecret),
  });
  // Load the supergraph now: the first HTTP request would, but a WebSocket operation finds no schema yet.
  await gateway.getSchema();
  const server = createServer(gateway);
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const ws = useServer(
    getGraphQLWSOptions<Record<string, unknown>, Extra>(gateway, (ctx) => ({
      req: ctx.extra.request,
      socket: ctx.extra.socket,
    })),
    wss,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    async post(query, { variables, headers = {} } = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphQLResponse, 'status' | 'headers'>;
      return { status: response.status, headers: response.headers, ...body } as never;
    },
    async stop() {
      await ws.dispose();
      await gateway.dispose();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface Federation {
  subgraph: TestServer;
  weather: RunningWeatherSubgraph;
  gateway: RunningGateway;
  stop(): Promise<void>;
}

/** tenantgraph (seeded, dev issuer), the weather subgraph and a gateway in front of both. */
export async function startFederation(env: Record<string, string> = {}, gatewaySecret?: string): Promise<Federation> {
  const [subgraph, weather] = await Promise.all([
    startTestServer(env),
    startWeatherSubgraph({ logger: pino({ level: 'silent' }) }),
  ]);
  const supergraph = composeForTest(`${subgraph.url}/graphql`, weather.url);
  const gateway = await startGateway({ supergraph, ...(gatewaySecret ? { gatewaySecret } : {}) });
  return {
    subgraph,
    weather,
    gateway,
    async stop() {
      await gateway.stop();
      await Promise.all([subgraph.stop(), weather.stop()]);
    },
  };
}

export interface ExportEvent {
  type: string;
  tenant: string;
  subject: string | null;
  data: { name?: string };
}

export interface GatewaySubscription {
  events: ExportEvent[];
  /** GraphQL errors, then closes and other failures. */
  readonly errors: unknown[];
  readonly ended: boolean;
  client: Client;
}

const PARKS_CREATED = 'subscription { exportEvents(types: ["park.created"]) { type tenant subject data } }';

/** Subscribes to park.created events through the gateway's WebSocket, credentials in connection_init as a client sends them. */
export function subscribeThrough(
  gateway: RunningGateway,
  connectionParams: Record<string, string>,
): GatewaySubscription {
  const { client } = wsClient(gateway.wsUrl, { connectionParams });
  const stream = collect(
    client,
    { query: PARKS_CREATED },
    (data) => (data as { exportEvents?: ExportEvent }).exportEvents,
  );
  return {
    client,
    events: stream.values,
    get errors() {
      return [...stream.errors, ...stream.failures];
    },
    get ended() {
      return stream.done;
    },
  };
}

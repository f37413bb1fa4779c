/**
 * Hive Gateway in front of tenantgraph (and the other subgraphs of the supergraph):
 *   npm run supergraph -- --tenantgraph-url http://tenantgraph:4000/graphql --weather-url http://weather:4001/graphql
 *   GATEWAY_SECRET=… npx @graphql-hive/gateway supergraph supergraph.graphql   # reads this file as gateway.config.ts
 * The same options run in-process in test/federation/ (with @graphql-hive/gateway-runtime), so what
 * this file says is what the tests check.
 */
import type { GatewayConfigSupergraph } from '@graphql-hive/gateway-runtime';

/** The subgraph's name in the supergraph (`npm run supergraph` names it so). */
export const TENANTGRAPH = 'tenantgraph';

/** What a caller sends that tenantgraph needs: its credentials and its choice of tenant. */
const FORWARDED_HEADERS = ['authorization', 'x-api-key', 'x-tenant-id', 'x-request-id'] as const;

/**
 * The options tenantgraph needs from the gateway:
 * - over HTTP, the caller's Authorization / X-API-Key / X-Tenant-ID go to tenantgraph (and only to
 *   it: another team's subgraph has no use for a tenantgraph credential), with the router secret;
 * - subscriptions go to tenantgraph over WebSocket (graphql-transport-ws on /graphql), the router
 *   secret in the upgrade request and the caller's credentials in `connection_init`, taken from the
 *   client's own `connection_init` (a WebSocket client) or request headers (an SSE client). Keys are
 *   matched as the client sent them: clients send them lower-case.
 * The secret is sent as given: keep `{` and `}` out of it (Hive's header interpolation reads them).
 */
export function tenantgraphGatewayOptions(secret: string | undefined) {
  return {
    propagateHeaders: {
      fromClientToSubgraphs: ({ request, subgraphName }: { request: Request; subgraphName: string }) => {
        if (subgraphName !== TENANTGRAPH) return {};
        const headers: Record<string, string | undefined> = {};
        for (const name of FORWARDED_HEADERS) headers[name] = request.headers.get(name) ?? undefined;
        if (secret) headers['router-authorization'] = secret;
        return headers;
      },
    },
    transportEntries: {
      [TENANTGRAPH]: {
        options: {
          subscriptions: {
            kind: 'ws',
            location: '/graphql',
            ...(secret ? { headers: [['router-authorization', secret]] } : {}),
            options: {
              connectionParams: {
                authorization: '{context.headers.authorization}',
                'x-tenant-id': '{context.headers.x-tenant-id}',
              },
            },
          },
        },
      },
    },
  } satisfies Partial<GatewayConfigSupergraph>;
}

export const gatewayConfig = {
  supergraph: './supergraph.graphql',
  ...tenantgraphGatewayOptions(process.env.GATEWAY_SECRET),
} satisfies GatewayConfigSupergraph;

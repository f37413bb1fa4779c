import type { ApolloServerPlugin } from '@apollo/server';
import { trace } from '@opentelemetry/api';
import type { RequestContext } from '../../context.js';

/** The span attribute naming the active tenant (its slug). */
export const TENANT_ATTRIBUTE = 'tenantgraph.tenant';

/**
 * Marks the request's span (the HTTP server span, active while Apollo handles the request) with the
 * active tenant, so traces can be filtered by tenant. Without tracing the OpenTelemetry API is a no-op.
 */
export function tenantSpanPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      const slug = contextValue.tenant?.slug;
      if (slug !== undefined) trace.getActiveSpan()?.setAttribute(TENANT_ATTRIBUTE, slug);
    },
  };
}

import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../../context.js';
import { isAppError, withHttpStatus } from '../../errors.js';
import { costExtension, withCost } from '../../limits/cost-extension.js';
import type { AdmittedOperation, Limits } from '../../limits/limits.js';
import { rateLimitHeaders } from '../../limits/rate-limit-headers.js';

/**
 * Cost and rate limits of every GraphQL request over HTTP (and `executeOperation`), decided before
 * execution at `didResolveOperation` from the document and its variables (src/limits/limits.ts):
 * over the plan's maximum cost, BAD_USER_INPUT (400); not admitted, RATE_LIMITED (429 and
 * `Retry-After`); nothing executes in either case. An admitted operation then waits for its turn to
 * execute, fairly between tenants (Limits.turn). After execution the estimate beyond the actual
 * cost is refunded, and every response to a caller acting in a tenant carries the RateLimit headers
 * and `extensions.cost`.
 */
export function limitsPlugin(limits: Limits): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      let admitted: AdmittedOperation | null = null;
      let requested = 0;
      return {
        async didResolveOperation({ document, request, operationName }) {
          try {
            admitted = limits.admit(contextValue, document, request.variables, operationName ?? undefined);
            requested = admitted.requested;
            await limits.turn(admitted);
          } catch (error) {
            if (!isAppError(error)) throw error;
            const cost = error.extensions.cost;
            if (typeof cost === 'number') requested = cost;
            throw error.extensions.http ? error : withHttpStatus(error);
          }
        },
        async willSendResponse({ response }) {
          const { body } = response;
          const actual = admitted
            ? limits.finish(admitted, body.kind === 'single' ? body.singleResult.data : undefined)
            : 0;
          const bucket = limits.status(contextValue);
          if (!bucket) return;
          for (const [name, value] of rateLimitHeaders(bucket.tenantId, bucket.status)) {
            response.http.headers.set(name, value);
          }
          if (body.kind === 'single') {
            body.singleResult = withCost(body.singleResult, costExtension(requested, actual, bucket.status));
          }
        },
      };
    },
  };
}

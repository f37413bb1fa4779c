import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { RequestContext } from '../../context.js';
import { ErrorCode } from '../../errors.js';
import { NO_TENANT, type Metrics } from '../metrics.js';

function codeOf(error: unknown): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR;
}

/** One log line and the per-tenant counters for every GraphQL request, refused ones included. */
export function observabilityPlugin(metrics: Metrics, logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async contextCreationDidFail({ error }) {
      const code = codeOf(error);
      metrics.requests.inc({ tenant: NO_TENANT, operation_type: 'unknown' });
      metrics.errors.inc({ tenant: NO_TENANT, code });
      logger.info({ code }, 'request refused');
    },
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      const tenant = contextValue.tenant?.slug ?? NO_TENANT;
      return {
        async willSendResponse({ operation, operationName, response }) {
          const operationType = operation?.operation ?? 'unknown';
          const seconds = (performance.now() - started) / 1000;
          metrics.requests.inc({ tenant, operation_type: operationType });
          metrics.duration.observe({ operation_type: operationType }, seconds);
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          for (const error of errors) metrics.errors.inc({ tenant, code: codeOf(error) });
          contextValue.logger.info(
            {
              operationName: operationName ?? null,
              operationType,
              durationMs: Math.round(seconds * 1000),
              errorCodes: errors.map(codeOf),
            },
            'graphql request',
          );
        },
      };
    },
  };
}

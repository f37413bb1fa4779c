import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { RequestContext } from '../../context.js';
import { ErrorCode } from '../../errors.js';
import type { Metrics } from '../metrics.js';

function codeOf(error: unknown): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR;
}

/** One log line and the counters (without tenant labels) for every GraphQL request, refused ones included. */
export function observabilityPlugin(metrics: Metrics, logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async contextCreationDidFail({ error }) {
      const code = codeOf(error);
      metrics.requests.inc({ operation_type: 'unknown' });
      metrics.errors.inc({ code });
      logger.info({ code }, 'request refused');
    },
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ operation, operationName, response }) {
          const operationType = operation?.operation ?? 'unknown';
          const seconds = (performance.now() - started) / 1000;
          metrics.requests.inc({ operation_type: operationType });
          metrics.duration.observe({ operation_type: operationType }, seconds);
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          for (const error of errors) metrics.errors.inc({ code: codeOf(error) });
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

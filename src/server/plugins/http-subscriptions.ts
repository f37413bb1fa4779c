import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../../context.js';
import { AppError, ErrorCode, withHttpStatus } from '../../errors.js';

/**
 * A subscription sent over HTTP is the caller's mistake: it is answered BAD_USER_INPUT (400) naming
 * the WebSocket endpoint. Executed as a query it would fail on its non-null field with an
 * INTERNAL_SERVER_ERROR, and without its permission check: the rule of `Subscription.exportEvents`
 * guards `subscribe`, which only the WebSocket transport calls.
 */
export function httpSubscriptionsPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw withHttpStatus(
            new AppError(
              ErrorCode.BAD_USER_INPUT,
              'Subscriptions are served over WebSocket only: ws://…/graphql with the graphql-transport-ws protocol',
            ),
          );
        },
      };
    },
  };
}

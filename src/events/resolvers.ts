import type { Resolvers } from '../generated/graphql.js';
import { subscribeToExportEvents } from './subscription.js';

export const eventResolvers: Resolvers = {
  Subscription: {
    // `subscribe` only: see subscribeToExportEvents. Each payload is `{ exportEvents: event }`.
    exportEvents: { subscribe: (_parent, args, ctx) => subscribeToExportEvents(ctx, args) },
  },
};

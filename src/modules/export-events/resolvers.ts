import type { Resolvers } from '../../generated/graphql.js';
import { requireTenant } from '../tenant-db-of.js';

export const exportEventResolvers: Resolvers = {
  Subscription: {
    // `subscribe` only (see src/events/subscription.ts). Each payload is `{ exportEvents: event }`.
    exportEvents: { subscribe: (_parent, args, ctx) => requireTenant(ctx.exportEvents).subscribe(args) },
  },
};

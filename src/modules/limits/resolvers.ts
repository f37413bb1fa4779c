import type { Plan, Resolvers } from '../../generated/graphql.js';
import { usageHours, usageRange } from '../../limits/usage-query.js';
import { requireTenant } from '../tenant-db-of.js';

/** `Query.rateLimit`: the active tenant's bucket, as the caller's responses report it; `Query.usage`: its ledger. */
export const limitsResolvers: Resolvers = {
  Query: {
    rateLimit: (_parent, _args, ctx) => {
      if (!ctx.limits) return null;
      const { plan, remaining, restoreRate, maximum, resetSeconds, maxCostPerOperation } = ctx.limits.rateLimit();
      return {
        plan: plan.toUpperCase() as Plan,
        remaining,
        restoreRate,
        maximum,
        resetSeconds,
        maxCostPerOperation,
      };
    },
    usage: async (_parent, { from, to }, ctx) => {
      const range = usageRange(new Date(from), new Date(to));
      return usageHours(await requireTenant(ctx.limits).usage(range.from, range.to));
    },
  },
};

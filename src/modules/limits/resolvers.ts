import { badUserInput } from '../../errors.js';
import type { Plan, Resolvers } from '../../generated/graphql.js';
import { requireTenant } from '../tenant-db-of.js';

const MAX_USAGE_RANGE_MS = 31 * 24 * 60 * 60 * 1000;

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
      const start = new Date(from);
      const end = new Date(to);
      if (!(start < end)) throw badUserInput('to', 'must be after from');
      if (end.getTime() - start.getTime() > MAX_USAGE_RANGE_MS) {
        throw badUserInput('to', 'must be at most 31 days after from');
      }
      const hours = await requireTenant(ctx.limits).usage(start, end);
      return hours.map(({ _id: _key, tenantId: _tenant, hour, ...counters }) => ({
        hour: hour.toISOString(),
        ...counters,
      }));
    },
  },
};

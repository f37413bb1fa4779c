import type { Resolvers } from '../../generated/graphql.js';
import { fromGlobalId, toGlobalId } from '../global-id.js';
import { describeViewer } from './viewer.js';

export const tenantResolvers: Resolvers = {
  Query: {
    viewer: (_parent, _args, ctx) => describeViewer(ctx, ctx.tenant, ctx.roles),
  },
  Mutation: {
    switchTenant: async (_parent, { slug }, ctx) => {
      const { tenant, roles } = await ctx.caller.switchTenant(slug);
      return describeViewer(ctx, tenant, roles);
    },
  },
  Tenant: {
    id: (tenant) => toGlobalId('Tenant', tenant.id),
    /** Only the active tenant resolves: any other tenant's id is reported as missing. */
    __resolveReference: (reference, ctx) => {
      const id = fromGlobalId('Tenant', (reference as { id?: unknown }).id);
      return id !== null && ctx.tenant?.id === id ? ctx.tenant : null;
    },
  },
};

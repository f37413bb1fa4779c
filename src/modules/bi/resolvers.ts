import type { Resolvers } from '../../generated/graphql.js';
import { requireTenantDb } from '../tenant-db-of.js';
import { createExportLink, creatorOf } from './export-link.js';

/** Trusted operations of the active tenant and export links: thin, over ctx.services.bi (src/bi). */
export const biResolvers: Resolvers = {
  Query: {
    trustedOperations: (_parent, _args, ctx) => ctx.services.bi.trustedOperations.list(requireTenantDb(ctx)),
  },
  Mutation: {
    registerTrustedOperation: (_parent, { name, document }, ctx, info) =>
      ctx.services.bi.trustedOperations.register(requireTenantDb(ctx), info.schema, name, document, creatorOf(ctx)),
    removeTrustedOperation: (_parent, { name }, ctx) =>
      ctx.services.bi.trustedOperations.remove(requireTenantDb(ctx), name),
    createExportLink: (_parent, args, ctx, info) => createExportLink(ctx, info.schema, args),
    rotateExportLinkSecret: async (_parent, _args, ctx) => {
      await ctx.services.bi.exportLinks.rotate(requireTenantDb(ctx));
      return true;
    },
  },
  TrustedOperation: {
    id: (operation) => operation.hash,
    createdAt: (operation) => operation.createdAt?.toISOString() ?? null,
  },
};

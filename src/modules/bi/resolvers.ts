import type { Resolvers } from '../../generated/graphql.js';
import { requireTenant } from '../tenant-db-of.js';
import { createExportLink } from './export-link.js';

/** Trusted operations of the active tenant and export links: thin, over the request's `bi` (src/bi). */
export const biResolvers: Resolvers = {
  Query: {
    trustedOperations: (_parent, _args, ctx) => requireTenant(ctx.bi).operations.list(),
  },
  Mutation: {
    registerTrustedOperation: (_parent, { name, document }, ctx, info) =>
      requireTenant(ctx.bi).operations.register(info.schema, name, document, (parsed) =>
        requireTenant(ctx.limits).checkWorstCase(parsed),
      ),
    removeTrustedOperation: (_parent, { name }, ctx) => requireTenant(ctx.bi).operations.remove(name),
    createExportLink: (_parent, args, ctx, info) => createExportLink(ctx, info.schema, args),
    rotateExportLinkSecret: async (_parent, _args, ctx) => {
      await requireTenant(ctx.bi).links.rotate();
      return true;
    },
  },
  TrustedOperation: {
    id: (operation) => operation.hash,
    createdAt: (operation) => operation.createdAt?.toISOString() ?? null,
  },
};

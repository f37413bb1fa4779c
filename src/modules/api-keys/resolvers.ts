import type { RequestContext } from '../../context.js';
import { badUserInput, notFound } from '../../errors.js';
import type { Resolvers } from '../../generated/graphql.js';
import { requireRawId, toGlobalId } from '../global-id.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-key-repository.js';
import { validateApiKeyInput } from './api-key-input.js';
import { requireTenantDb } from '../tenant-db-of.js';
import { principalLabel } from '../../auth/principal.js';

/** A key limited to operations that do not exist would be a key that runs nothing: say so at creation. */
async function assertTrustedOperationsExist(ctx: RequestContext, names: readonly string[] | null) {
  for (const name of names ?? []) {
    if (!(await ctx.services.bi.trustedOperations.byName(requireTenantDb(ctx), name))) {
      throw badUserInput('input.operations', `holds ${name}, not a trusted operation of this tenant`);
    }
  }
}

export const apiKeyResolvers: Resolvers = {
  Query: {
    apiKeys: (_parent, _args, ctx) => listApiKeys(requireTenantDb(ctx)),
  },
  Mutation: {
    createApiKey: async (_parent, { input }, ctx) => {
      const now = new Date();
      const valid = validateApiKeyInput(input, now);
      await assertTrustedOperationsExist(ctx, valid.operations);
      return createApiKey(requireTenantDb(ctx), valid, principalLabel(ctx.principal), now);
    },
    revokeApiKey: async (_parent, { id }, ctx) => {
      const keyId = requireRawId('ApiKey', id, 'API key');
      const revoked = await revokeApiKey(requireTenantDb(ctx), keyId);
      if (!revoked) throw notFound('API key');
      ctx.services.identity.forgetApiKey(keyId);
      return revoked;
    },
  },
  ApiKey: {
    id: (key) => toGlobalId('ApiKey', key._id),
    createdAt: (key) => key.createdAt.toISOString(),
    expiresAt: (key) => key.expiresAt?.toISOString() ?? null,
    revokedAt: (key) => key.revokedAt?.toISOString() ?? null,
    lastUsedAt: (key) => key.lastUsedAt?.toISOString() ?? null,
    operations: (key) => key.operations ?? null,
  },
};

import { generateApiKey } from '../../auth/api-key-secret.js';
import type { RequestContext } from '../../context.js';
import { badUserInput, notFound } from '../../errors.js';
import type { Resolvers } from '../../generated/graphql.js';
import { fromGlobalId, toGlobalId } from '../global-id.js';
import type { ApiKeyDocument } from './api-key-document.js';
import { validateApiKeyInput } from './api-key-input.js';
import { requireTenantDb } from '../tenant-db-of.js';
import { principalLabel } from '../../auth/principal.js';

const keys = (ctx: Parameters<typeof requireTenantDb>[0]) =>
  requireTenantDb(ctx).collection<ApiKeyDocument>('apiKeys');

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
    apiKeys: (_parent, _args, ctx) => keys(ctx).find({}, { sort: { createdAt: 1 } }),
  },
  Mutation: {
    createApiKey: async (_parent, { input }, ctx) => {
      const now = new Date();
      const valid = validateApiKeyInput(input, now);
      await assertTrustedOperationsExist(ctx, valid.operations);
      const generated = generateApiKey();
      const apiKey = await keys(ctx).insertOne({
        _id: generated.keyId,
        ...valid,
        secretHash: generated.secretHash,
        createdAt: now,
        createdBy: principalLabel(ctx.principal),
        revokedAt: null,
        lastUsedAt: null,
      });
      return { apiKey, secret: generated.secret };
    },
    revokeApiKey: async (_parent, { id }, ctx) => {
      const keyId = fromGlobalId('ApiKey', id);
      if (keyId === null) throw notFound('API key');
      const revoked =
        (await keys(ctx).updateOne({ _id: keyId, revokedAt: null }, { $set: { revokedAt: new Date() } })) ??
        (await keys(ctx).findById(keyId));
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

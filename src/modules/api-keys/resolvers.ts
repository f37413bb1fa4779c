import type { RequestContext } from '../../context.js';
import { badUserInput, forbidden, notFound } from '../../errors.js';
import type { Resolvers } from '../../generated/graphql.js';
import { requireRawId, toGlobalId } from '../global-id.js';
import { createApiKey, type KeyCreator, listApiKeys, revokeApiKey } from './api-key-repository.js';
import { validateApiKeyInput } from './api-key-input.js';
import { requireTenantDb } from '../tenant-db-of.js';
import { type Principal, principalLabel } from '../../auth/principal.js';
import { covers } from '../../authz/role-coverage.js';
import type { UserDocument } from '../../tenancy/identity-documents.js';
import { grantorOf } from '../../tenancy/key-rights.js';

/** A key limited to operations that do not exist would be a key that runs nothing: say so at creation. */
async function assertTrustedOperationsExist(ctx: RequestContext, names: readonly string[] | null) {
  for (const name of names ?? []) {
    if (!(await ctx.services.bi.trustedOperations.byName(requireTenantDb(ctx), name))) {
      throw badUserInput('input.operations', `holds ${name}, not a trusted operation of this tenant`);
    }
  }
}

/** A key created by a key is bound by the same member as the key that created it. */
function creatorOf(principal: Principal): KeyCreator {
  const grantorId = principal.kind === 'user' ? principal.userId : principal.grantorId;
  if (grantorId === null) throw forbidden('This API key cannot create keys');
  return { label: principalLabel(principal), grantorId };
}

export const apiKeyResolvers: Resolvers = {
  Query: {
    apiKeys: (_parent, _args, ctx) => listApiKeys(requireTenantDb(ctx)),
  },
  Mutation: {
    createApiKey: async (_parent, { input }, ctx) => {
      const now = new Date();
      const valid = validateApiKeyInput(input, now);
      const beyond = valid.roles.filter((role) => !covers(ctx.roles, role));
      if (beyond.length > 0) throw forbidden(`A key cannot hold roles its creator does not: ${beyond.join(', ')}`);
      await assertTrustedOperationsExist(ctx, valid.operations);
      return createApiKey(requireTenantDb(ctx), valid, creatorOf(ctx.principal), now);
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
    createdBy: async (key, _args, ctx) => {
      const grantorId = grantorOf(key);
      const users = ctx.services.database.platform.collection<UserDocument>('users');
      const user = grantorId === null ? null : await users.findById(grantorId);
      return user && { id: toGlobalId('User', user._id), email: user.email };
    },
  },
};

import { principalRef, type Principal } from '../../auth/principal.js';
import type { KeyCreator } from '../../tenancy/tenant-api-keys.js';
import { covers } from '../../authz/role-coverage.js';
import type { RequestContext } from '../../context.js';
import { badUserInput, forbidden, notFound } from '../../errors.js';
import type { Resolvers } from '../../generated/graphql.js';
import { requireRawId, toGlobalId } from '../global-id.js';
import { requireTenant } from '../tenant-db-of.js';
import { validateApiKeyInput } from './api-key-input.js';

/** A key limited to operations that do not exist would be a key that runs nothing: say so at creation. */
async function assertTrustedOperationsExist(ctx: RequestContext, names: readonly string[] | null) {
  const operations = requireTenant(ctx.bi).operations;
  for (const name of names ?? []) {
    if (!(await operations.byName(name))) {
      throw badUserInput('input.operations', `holds ${name}, not a trusted operation of this tenant`);
    }
  }
}

/** A key created by a key is bound by the same member as the key that created it. */
function creatorOf(principal: Principal): KeyCreator {
  const grantorId =
    principal.kind === 'user' ? principal.userId : principal.kind === 'apiKey' ? principal.grantorId : null;
  if (grantorId === null) throw forbidden('This API key cannot create keys');
  return { ref: principalRef(principal), grantorId };
}

export const apiKeyResolvers: Resolvers = {
  Query: {
    apiKeys: (_parent, _args, ctx) => requireTenant(ctx.apiKeys).list(),
  },
  Mutation: {
    createApiKey: async (_parent, { input }, ctx) => {
      const now = new Date();
      const valid = validateApiKeyInput(input, now);
      const beyond = valid.roles.filter((role) => !covers(ctx.roles, role));
      if (beyond.length > 0) throw forbidden(`A key cannot hold roles its creator does not: ${beyond.join(', ')}`);
      await assertTrustedOperationsExist(ctx, valid.operations);
      return requireTenant(ctx.apiKeys).create(valid, creatorOf(ctx.principal), now);
    },
    revokeApiKey: async (_parent, { id }, ctx) => {
      const revoked = await requireTenant(ctx.apiKeys).revoke(requireRawId('ApiKey', id, 'API key'));
      if (!revoked) throw notFound('API key');
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
    limits: (key) => key.limits ?? null,
    createdBy: async (key, _args, ctx) => {
      const user = await requireTenant(ctx.apiKeys).grantor(key);
      return user && { id: toGlobalId('User', user._id), email: user.email };
    },
  },
};

import { ROLES, type Role } from '../../authz/roles.js';
import type { RequestContext } from '../../context.js';
import { badUserInput, forbidden } from '../../errors.js';
import type { Resolvers } from '../../generated/graphql.js';
import type { MembershipDocument, UserDocument } from '../../tenancy/identity-documents.js';
import { toGlobalId } from '../global-id.js';

const activeTenantId = (ctx: RequestContext): string => {
  if (!ctx.tenant) throw forbidden('No active tenant');
  return ctx.tenant.id;
};

const memberView = (user: UserDocument, roles: readonly Role[]) => ({
  user: { id: toGlobalId('User', user._id), email: user.email },
  roles: ROLES.filter((role) => roles.includes(role)),
});

/**
 * Memberships are platform data (a user's list spans tenants), so every query here names the active
 * tenant explicitly; nothing else in the code reads memberships of a tenant.
 */
export const memberResolvers: Resolvers = {
  Query: {
    members: async (_parent, _args, ctx) => {
      const tenantId = activeTenantId(ctx);
      const { platform } = ctx.services.database;
      const memberships = await platform.collection<MembershipDocument>('memberships').find({ tenantId });
      const users = await platform
        .collection<UserDocument>('users')
        .find({ _id: { $in: memberships.map((m) => m.userId) } }, { sort: { email: 1 } });
      const rolesOf = new Map(memberships.map((m) => [m.userId, m.roles]));
      return users.map((user) => memberView(user, rolesOf.get(user._id) ?? []));
    },
  },
  Mutation: {
    setMemberRoles: async (_parent, { email, roles }, ctx) => {
      const tenantId = activeTenantId(ctx);
      const { platform } = ctx.services.database;
      const memberships = platform.collection<MembershipDocument>('memberships');
      const user = await platform.collection<UserDocument>('users').findOne({ email: email.trim().toLowerCase() });
      if (!user) throw badUserInput('email', 'does not name a user');
      const wanted = [...new Set(roles)];
      if (!wanted.includes('ADMIN')) {
        const otherAdmins = await memberships.count({ tenantId, roles: 'ADMIN', userId: { $ne: user._id } });
        if (otherAdmins === 0) throw badUserInput('roles', 'would leave the tenant without an admin');
      }
      if (wanted.length === 0) {
        await memberships.deleteOne({ tenantId, userId: user._id });
      } else {
        await memberships.upsertOne(
          { tenantId, userId: user._id },
          { $set: { roles: wanted, updatedAt: new Date() } },
        );
      }
      ctx.services.identity.forgetMemberships(user._id);
      return memberView(user, wanted);
    },
  },
};

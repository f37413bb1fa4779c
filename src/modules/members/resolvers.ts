import { ROLES } from '../../authz/roles.js';
import type { Resolvers } from '../../generated/graphql.js';
import type { Member } from '../../tenancy/tenant-members.js';
import { toGlobalId } from '../global-id.js';
import { requireTenant } from '../tenant-db-of.js';

const memberView = ({ user, roles }: Member) => ({
  user: { id: toGlobalId('User', user._id), email: user.email },
  roles: ROLES.filter((role) => roles.includes(role)),
});

export const memberResolvers: Resolvers = {
  Query: {
    members: async (_parent, _args, ctx) => (await requireTenant(ctx.members).list()).map(memberView),
  },
  Mutation: {
    setMemberRoles: async (_parent, { email, roles }, ctx) =>
      memberView(await requireTenant(ctx.members).setRoles(email, roles)),
  },
};

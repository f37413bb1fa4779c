import { ROLES } from '../../authz/roles.js';
import type { RequestContext } from '../../context.js';
import { forbidden } from '../../errors.js';
import type { Resolvers } from '../../generated/graphql.js';
import { toGlobalId } from '../global-id.js';
import { listMembers, setMemberRoles, type Member } from './member-repository.js';

const activeTenantId = (ctx: RequestContext): string => {
  if (!ctx.tenant) throw forbidden('No active tenant');
  return ctx.tenant.id;
};

const memberView = ({ user, roles }: Member) => ({
  user: { id: toGlobalId('User', user._id), email: user.email },
  roles: ROLES.filter((role) => roles.includes(role)),
});

export const memberResolvers: Resolvers = {
  Query: {
    members: async (_parent, _args, ctx) =>
      (await listMembers(ctx.services.database.platform, activeTenantId(ctx))).map(memberView),
  },
  Mutation: {
    setMemberRoles: async (_parent, { email, roles }, ctx) => {
      const member = await setMemberRoles(ctx.services.database.platform, activeTenantId(ctx), email, roles);
      ctx.services.identity.forgetMemberships(member.user._id);
      return memberView(member);
    },
  },
};

import { principalKey } from '../../auth/principal.js';
import { covers } from '../../authz/role-coverage.js';
import { ROLES } from '../../authz/roles.js';
import { forbidden } from '../../errors.js';
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
    inviteMember: async (_parent, { email, roles }, ctx) => {
      const beyond = roles.filter((role) => !covers(ctx.roles, role));
      if (beyond.length > 0) throw forbidden(`An admin cannot hand on roles it does not hold: ${beyond.join(', ')}`);
      const invited = await requireTenant(ctx.members).invite(email, roles, principalKey(ctx.principal));
      return { email: invited.email, roles: ROLES.filter((role) => invited.roles.includes(role)) };
    },
  },
};

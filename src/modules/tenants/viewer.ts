import type { Principal } from '../../auth/principal.js';
import { ROLES, type Role } from '../../authz/roles.js';
import type { ActiveTenant } from '../../context.js';
import type { Membership, User } from '../../generated/graphql.js';
import type { IdentityDirectory } from '../../tenancy/identity-directory.js';
import { toGlobalId } from '../global-id.js';

export interface ViewerView {
  user: User;
  tenant: ActiveTenant | null;
  roles: Role[];
  memberships: Array<Omit<Membership, 'tenant'> & { tenant: ActiveTenant }>;
}

const inRoleOrder = (roles: Iterable<Role>): Role[] => {
  const held = new Set(roles);
  return ROLES.filter((role) => held.has(role));
};

/**
 * Who is calling. An API key is shown as a pseudo-user named after the key, so that `viewer` answers
 * the same question for both kinds of caller.
 */
export async function describeViewer(
  identity: IdentityDirectory,
  principal: Principal,
  tenant: ActiveTenant | null,
  roles: Iterable<Role>,
): Promise<ViewerView> {
  if (principal.kind === 'apiKey') {
    const acting = inRoleOrder(roles); // the key's roles that its grantor still covers
    return {
      user: { id: toGlobalId('ApiKey', principal.keyId), email: `api-key:${principal.name}` },
      tenant,
      roles: acting,
      memberships: tenant ? [{ tenant, roles: acting }] : [],
    };
  }
  const memberships = await identity.membershipsOfUser(principal.userId);
  const described = await Promise.all(
    memberships
      .filter((membership) => membership.roles.length > 0)
      .map(async (membership) => {
        const member = await identity.tenantById(membership.tenantId);
        return (
          member && {
            tenant: { id: member._id, slug: member.slug, name: member.name },
            roles: inRoleOrder(membership.roles),
          }
        );
      }),
  );
  return {
    user: { id: toGlobalId('User', principal.userId), email: principal.email },
    tenant,
    roles: inRoleOrder(roles),
    memberships: described.filter((entry) => entry !== null).sort((a, b) => a.tenant.slug.localeCompare(b.tenant.slug)),
  };
}

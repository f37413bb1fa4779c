import { ROLES, type Role } from '../../authz/roles.js';
import type { ActiveTenant, RequestContext } from '../../context.js';
import type { Membership, User } from '../../generated/graphql.js';
import type { CallerMembership } from '../../tenancy/caller-identity.js';
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
 * Who is calling. An API key (or an export link) is shown as a pseudo-user named after it, so that
 * `viewer` answers the same question for every kind of caller.
 */
function viewerUser({ principal }: Pick<RequestContext, 'principal'>): User {
  switch (principal.kind) {
    case 'user':
      return { id: toGlobalId('User', principal.userId), email: principal.email };
    case 'apiKey':
      return { id: toGlobalId('ApiKey', principal.keyId), email: `api-key:${principal.name}` };
    case 'exportLink':
      return { id: toGlobalId('ExportLink', principal.operation), email: `export-link:${principal.operation}` };
  }
}

/** The viewer in `tenant` with `roles` (the request's, or those a switchTenant just chose). */
export async function describeViewer(
  ctx: Pick<RequestContext, 'principal' | 'caller'>,
  tenant: ActiveTenant | null,
  roles: Iterable<Role>,
): Promise<ViewerView> {
  const memberships = await ctx.caller.memberships();
  return {
    user: viewerUser(ctx),
    tenant,
    roles: inRoleOrder(roles),
    memberships: memberships.map(({ tenant: member, roles: held }: CallerMembership) => ({
      tenant: member,
      roles: inRoleOrder(held),
    })),
  };
}

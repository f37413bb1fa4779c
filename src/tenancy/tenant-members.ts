import type { Role } from '../authz/roles.js';
import type { PlatformDb } from '../data/platform-db.js';
import { badUserInput, notFound } from '../errors.js';
import type { IdentityDirectory } from './identity-directory.js';
import type { MembershipDocument, UserDocument } from './identity-documents.js';
import { inviteMember } from './invitations.js';

export interface Member {
  user: UserDocument;
  roles: readonly Role[];
}

/** The members of one tenant, bound to it by construction: a request context's `members`. */
export interface TenantMembers {
  /** The tenant's members, by email. */
  list(): Promise<Member[]>;
  /**
   * Sets a member's roles in the tenant; no roles removes the membership. The last ADMIN cannot be
   * removed. An address that names no member of this tenant gets NOT_FOUND whether or not it is a user
   * of the platform, so that the answer tells a tenant admin nothing about other tenants' people
   * (members are added by invitation). (Two admins demoting each other at the same instant can still
   * both succeed: the check and the write touch different documents.)
   */
  setRoles(email: string, roles: readonly Role[]): Promise<Member>;
  /**
   * Invites an address with these roles (src/tenancy/invitations.ts): a member at once when a user has
   * it, else at that address's first verified sign-in. `invitedBy` is the inviter's principal label.
   */
  invite(email: string, roles: readonly Role[], invitedBy: string): Promise<{ email: string; roles: Role[] }>;
}

/**
 * Memberships are platform data (a user's list spans tenants), so the tenant is named in every query
 * here, once, from the id this handle was built with: a caller cannot reach another tenant's members
 * because it never passes a tenant. A change is applied to this instance's identity cache at once.
 */
export function tenantMembers(platform: PlatformDb, identity: IdentityDirectory, tenantId: string): TenantMembers {
  const memberships = platform.collection<MembershipDocument>('memberships');
  const users = platform.collection<UserDocument>('users');
  return {
    async list() {
      const found = await memberships.find({ tenantId });
      const listed = await users.find({ _id: { $in: found.map((m) => m.userId) } }, { sort: { email: 1 } });
      const rolesOf = new Map(found.map((m) => [m.userId, m.roles]));
      return listed.map((user) => ({ user, roles: rolesOf.get(user._id) ?? [] }));
    },
    async setRoles(email, roles) {
      const user = await users.findOne({ email: email.trim().toLowerCase() });
      const membership = user && (await memberships.findOne({ tenantId, userId: user._id }));
      if (!user || !membership) throw notFound('Member');
      const wanted = [...new Set(roles)];
      if (!wanted.includes('ADMIN')) {
        const otherAdmins = await memberships.count({ tenantId, roles: 'ADMIN', userId: { $ne: user._id } });
        if (otherAdmins === 0) throw badUserInput('roles', 'would leave the tenant without an admin');
      }
      if (wanted.length === 0) {
        await memberships.deleteOne({ _id: membership._id });
      } else {
        await memberships.updateOne({ _id: membership._id }, { $set: { roles: wanted, updatedAt: new Date() } });
      }
      identity.forgetMemberships(user._id);
      return { user, roles: wanted };
    },
    async invite(email, roles, invitedBy) {
      const address = email.trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+$/.test(address) || address.length > 254)
        throw badUserInput('email', 'is not an email address');
      const wanted = [...new Set(roles)];
      if (wanted.length === 0) throw badUserInput('roles', 'must name at least one role');
      const { userId } = await inviteMember(platform, { tenantId, email: address, roles: wanted, invitedBy });
      if (userId !== null) identity.forgetMemberships(userId);
      return { email: address, roles: wanted };
    },
  };
}

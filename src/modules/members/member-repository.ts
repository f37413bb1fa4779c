import type { Role } from '../../authz/roles.js';
import type { PlatformDb } from '../../data/platform-db.js';
import { badUserInput, notFound } from '../../errors.js';
import type { MembershipDocument, UserDocument } from '../../tenancy/identity-documents.js';

export interface Member {
  user: UserDocument;
  roles: readonly Role[];
}

/**
 * Memberships are platform data (a user's list spans tenants), so every query here names the tenant
 * explicitly; nothing else in the code reads the memberships of a tenant.
 */
export async function listMembers(platform: PlatformDb, tenantId: string): Promise<Member[]> {
  const memberships = await platform.collection<MembershipDocument>('memberships').find({ tenantId });
  const users = await platform
    .collection<UserDocument>('users')
    .find({ _id: { $in: memberships.map((m) => m.userId) } }, { sort: { email: 1 } });
  const rolesOf = new Map(memberships.map((m) => [m.userId, m.roles]));
  return users.map((user) => ({ user, roles: rolesOf.get(user._id) ?? [] }));
}

/**
 * Sets a member's roles in a tenant; no roles removes the membership. The last ADMIN cannot be removed.
 * An address that names no member of this tenant gets NOT_FOUND whether or not it is a user of the
 * platform, so that the answer tells a tenant admin nothing about other tenants' people (members are
 * added by invitation). (Two admins demoting each other at the same instant can still both succeed:
 * the check and the write touch different documents.)
 */
export async function setMemberRoles(
  platform: PlatformDb,
  tenantId: string,
  email: string,
  roles: readonly Role[],
): Promise<Member> {
  const memberships = platform.collection<MembershipDocument>('memberships');
  const user = await platform.collection<UserDocument>('users').findOne({ email: email.trim().toLowerCase() });
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
  return { user, roles: wanted };
}

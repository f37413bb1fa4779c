import type { Role } from '../authz/roles.js';
import type { PlatformDb } from '../data/platform-db.js';
import type { MembershipDocument, UserDocument } from '../tenancy/identity-documents.js';

/** An invitation to a tenant, addressed to an email, waiting for that address's first sign-in. */
export interface InvitationDocument {
  _id: string;
  tenantId: string;
  /** Lower case, as users' addresses are stored. */
  email: string;
  roles: Role[];
  invitedBy: string;
  createdAt: Date;
}

export type InvitationOutcome = 'MEMBER' | 'PENDING';

const normalized = (email: string) => email.trim().toLowerCase();

/**
 * Invites `email` to a tenant with these roles: at once a membership when a user has that address,
 * else an invitation that the user's first sign-in turns into one (acceptInvitations). Inviting again
 * replaces the roles.
 */
export async function inviteMember(
  platform: PlatformDb,
  invitation: { tenantId: string; email: string; roles: readonly Role[]; invitedBy: string },
  now = new Date(),
): Promise<{ outcome: InvitationOutcome; userId: string | null }> {
  const email = normalized(invitation.email);
  const roles = [...new Set(invitation.roles)];
  const user = await platform.collection<UserDocument>('users').findOne({ email });
  if (user) {
    await platform
      .collection<MembershipDocument>('memberships')
      .upsertOne({ tenantId: invitation.tenantId, userId: user._id }, { $set: { roles, updatedAt: now } });
    return { outcome: 'MEMBER', userId: user._id };
  }
  await platform
    .collection<InvitationDocument>('invitations')
    .upsertOne(
      { tenantId: invitation.tenantId, email },
      { $set: { roles, invitedBy: invitation.invitedBy, createdAt: now } },
    );
  return { outcome: 'PENDING', userId: null };
}

/** Turns the invitations addressed to a new user's (verified) address into memberships. */
export async function acceptInvitations(platform: PlatformDb, user: UserDocument, now = new Date()): Promise<number> {
  const invitations = platform.collection<InvitationDocument>('invitations');
  const pending = await invitations.find({ email: user.email });
  for (const invitation of pending) {
    await platform
      .collection<MembershipDocument>('memberships')
      .upsertOne(
        { tenantId: invitation.tenantId, userId: user._id },
        { $set: { roles: invitation.roles, updatedAt: now } },
      );
    await invitations.deleteOne({ _id: invitation._id });
  }
  return pending.length;
}

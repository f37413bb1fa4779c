import type { VerifiedToken } from '../auth/jwt-verifier.js';
import { isDuplicateKeyError } from '../data/errors.js';
import type { PlatformDb } from '../data/platform-db.js';
import { unauthenticated } from '../errors.js';
import type { UserDocument } from './identity-documents.js';
import { acceptInvitations } from './invitations.js';

/**
 * The user of a verified token seen for the first time (just in time: nothing is provisioned ahead),
 * keyed by the token's `iss` and `sub` together: the same `sub` from another issuer is another user.
 * Only a token whose provider vouches for the address (`email_verified: true`) creates a user: the
 * address is unique across the platform and invitations are addressed to it, so an unverified claim
 * would let anyone take an address before its owner does, and receive what is sent to it. An address
 * already held by another sign-in is refused rather than linked: accounts are never merged by email.
 * Invitations addressed to the new user's address become memberships at once.
 */
export async function enrollUser(platform: PlatformDb, token: VerifiedToken, now = new Date()): Promise<UserDocument> {
  if (token.email === undefined) throw unauthenticated('Token lacks the "email" claim a new user needs');
  if (!token.emailVerified) throw unauthenticated('The identity provider has not verified this email address');
  const users = platform.collection<UserDocument>('users');
  const email = token.email.trim().toLowerCase();
  let user: UserDocument;
  try {
    user = await users.upsertOne(
      { issuer: token.issuer, subject: token.subject },
      { $setOnInsert: { email, activeTenantId: null, createdAt: now } },
    );
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    // A concurrent first request created the same user, or the address belongs to another sign-in.
    const created = await users.findOne({ issuer: token.issuer, subject: token.subject });
    if (created) return created;
    throw unauthenticated('This email address belongs to another user');
  }
  // The address is verified: what was addressed to it is the user's now.
  await acceptInvitations(platform, user, now);
  return user;
}

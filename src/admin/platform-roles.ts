import type { PlatformDb } from '../data/platform-db.js';
import { notFound } from '../errors.js';
import type { UserDocument } from '../tenancy/identity-documents.js';

/** The platform roles: held by users outside any tenant, stored on the user, never read from a token. */
export const PLATFORM_ROLES = ['OPERATOR'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

export const isOperator = (user: Pick<UserDocument, 'platformRoles'>): boolean =>
  user.platformRoles?.includes('OPERATOR') ?? false;

/**
 * Grants or withdraws OPERATOR from the user with this address (who must have signed in once). The
 * change reaches every instance through the identity change stream, like any change to a user.
 */
export async function setOperator(platform: PlatformDb, email: string, operator: boolean): Promise<UserDocument> {
  const users = platform.collection<UserDocument>('users');
  const update = operator ? { $addToSet: { platformRoles: 'OPERATOR' } } : { $pull: { platformRoles: 'OPERATOR' } };
  const user = await users.updateOne({ email: email.trim().toLowerCase() }, update);
  if (!user) throw notFound('User');
  return user;
}

export const listOperators = (platform: PlatformDb): Promise<UserDocument[]> =>
  platform.collection<UserDocument>('users').find({ platformRoles: 'OPERATOR' }, { sort: { email: 1 } });

import { covers } from '../authz/role-coverage.js';
import type { Role } from '../authz/roles.js';
import type { ApiKeyDocument } from '../auth/api-key-document.js';
import type { IdentityDirectory } from './identity-directory.js';

/** How keys stored before creators were typed references name a user creator. */
const LEGACY_USER_LABEL = /^user:(.+)$/;

/**
 * The member whose current roles bound a key's: recorded at creation, or, for a key stored before
 * that was recorded, its creator when that was a user. A key created by a key before then has none.
 */
export function grantorOf(key: Pick<ApiKeyDocument, 'grantorId' | 'createdBy'>): string | null {
  if (key.grantorId !== undefined) return key.grantorId;
  const { createdBy } = key;
  if (typeof createdBy === 'string') return LEGACY_USER_LABEL.exec(createdBy)?.[1] ?? null;
  return createdBy.kind === 'user' ? createdBy.id : null;
}

/**
 * The roles an API key acts with now: those of its own roles that its grantor's current roles in the
 * key's tenant cover (CONTRACT.md section 3). Demoting or removing the grantor shrinks or ends the
 * key's rights at the next request; the identity feed makes every instance forget the old roles.
 */
export async function keyRolesNow(
  identity: IdentityDirectory,
  key: { tenantId: string; roles: readonly Role[]; grantorId: string | null },
): Promise<Role[]> {
  if (key.grantorId === null) return [];
  const memberships = await identity.membershipsOfUser(key.grantorId);
  const held = memberships.find((membership) => membership.tenantId === key.tenantId)?.roles ?? [];
  return key.roles.filter((role) => covers(held, role));
}

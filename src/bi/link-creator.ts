import type { Role } from '../authz/roles.js';
import type { IdentityDirectory } from '../tenancy/identity-directory.js';
import { grantorOf, keyRolesNow } from '../tenancy/key-rights.js';

/**
 * The roles the creator of an export link holds in its tenant now: a link never reads more than its
 * creator still may, so revoking the key, letting it expire or removing the member ends its links too
 * (the identity feed applies such changes on every instance at once); a key's own roles count only as
 * far as its grantor still covers them. `createdBy` is a principal label.
 */
export async function creatorRolesNow(
  identity: IdentityDirectory,
  createdBy: string,
  tenantId: string,
): Promise<Role[]> {
  const [kind, id] = createdBy.split(':');
  if (!id) return [];
  if (kind === 'key') {
    const key = await identity.apiKeyById(id);
    const valid = key && key.tenantId === tenantId && !key.revokedAt && (!key.expiresAt || key.expiresAt > new Date());
    return valid ? keyRolesNow(identity, { tenantId, roles: key.roles, grantorId: grantorOf(key) }) : [];
  }
  if (kind === 'user') {
    const memberships = await identity.membershipsOfUser(id);
    return memberships.find((membership) => membership.tenantId === tenantId)?.roles ?? [];
  }
  return [];
}

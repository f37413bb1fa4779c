import type { PrincipalRef } from '../auth/principal.js';
import type { Role } from '../authz/roles.js';
import type { IdentityDirectory } from '../tenancy/identity-directory.js';
import { grantorOf, keyRolesNow } from '../tenancy/key-rights.js';

/**
 * The roles the creator of an export link holds in its tenant now: a link never reads more than its
 * creator still may, so revoking the key, letting it expire or removing the member ends its links too
 * (the identity feed applies such changes on every instance at once); a key's own roles count only as
 * far as its grantor still covers them.
 */
export async function creatorRolesNow(
  identity: IdentityDirectory,
  createdBy: PrincipalRef,
  tenantId: string,
): Promise<readonly Role[]> {
  switch (createdBy.kind) {
    case 'apiKey': {
      const key = await identity.apiKeyById(createdBy.id);
      const valid =
        key && key.tenantId === tenantId && !key.revokedAt && (!key.expiresAt || key.expiresAt > new Date());
      return valid ? keyRolesNow(identity, { tenantId, roles: key.roles, grantorId: grantorOf(key) }) : [];
    }
    case 'user': {
      const memberships = await identity.membershipsOfUser(createdBy.id);
      return memberships.find((membership) => membership.tenantId === tenantId)?.roles ?? [];
    }
  }
}

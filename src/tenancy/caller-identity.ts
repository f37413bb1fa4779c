import type { Principal } from '../auth/principal.js';
import type { Role } from '../authz/roles.js';
import type { PlatformDb } from '../data/platform-db.js';
import { forbidden } from '../errors.js';
import { toActive, type ActiveTenant } from './active-tenant.js';
import type { IdentityDirectory } from './identity-directory.js';
import type { UserDocument } from './identity-documents.js';

/** A tenant the caller belongs to, with its roles there. */
export interface CallerMembership {
  tenant: ActiveTenant;
  roles: readonly Role[];
}

/** The caller's own identity data: a request context's `caller`. Bound to the verified principal. */
export interface CallerIdentity {
  /**
   * The tenants the caller belongs to, by slug. A user: its memberships with at least one role. An
   * API key or an export link: its own tenant with the roles it acts with (a key's: those its grantor
   * still covers).
   */
  memberships(): Promise<CallerMembership[]>;
  /**
   * Makes the tenant with this slug the user's stored active tenant and returns it with the user's
   * roles there. FORBIDDEN for a tenant the user is not a member of, and for a caller that is not a
   * user (an API key or a link is bound to its tenant).
   */
  switchTenant(slug: string): Promise<CallerMembership>;
}

const NOT_A_MEMBER = 'Not a member of this tenant';

export function callerIdentity(
  platform: PlatformDb,
  identity: IdentityDirectory,
  principal: Principal,
  tenant: ActiveTenant | null,
  roles: ReadonlySet<Role>,
): CallerIdentity {
  if (principal.kind !== 'user') {
    return {
      memberships: async () => (tenant ? [{ tenant, roles: [...roles] }] : []),
      switchTenant: () => Promise.reject(forbidden('Only users switch tenants')),
    };
  }
  return {
    async memberships() {
      const memberships = await identity.membershipsOfUser(principal.userId);
      const described = await Promise.all(
        memberships
          .filter((membership) => membership.roles.length > 0)
          .map(async (membership) => {
            const member = await identity.tenantById(membership.tenantId);
            return member && { tenant: toActive(member), roles: membership.roles };
          }),
      );
      return described.filter((entry) => entry !== null).sort((a, b) => a.tenant.slug.localeCompare(b.tenant.slug));
    },
    async switchTenant(slug) {
      const target = await identity.tenantBySlug(slug);
      const memberships = await identity.membershipsOfUser(principal.userId);
      const membership = target && memberships.find((m) => m.tenantId === target._id && m.roles.length > 0);
      if (!target || !membership) throw forbidden(NOT_A_MEMBER);
      await platform
        .collection<UserDocument>('users')
        .updateOne({ _id: principal.userId }, { $set: { activeTenantId: target._id } });
      identity.forgetUser({ subject: principal.subject, userId: principal.userId });
      return { tenant: toActive(target), roles: membership.roles };
    },
  };
}

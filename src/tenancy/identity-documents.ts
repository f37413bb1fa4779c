import type { PlatformRole } from '../admin/platform-roles.js';
import type { Role } from '../authz/roles.js';
import type { PlanName } from '../limits/plans.js';

/**
 * A person known to the service, created at their first verified request (src/tenancy/user-enrollment.ts);
 * `issuer` and `subject` are the identity provider's `iss` and `sub` claims.
 */
export interface UserDocument {
  _id: string;
  /** Absent on users stored without one (the demo users): then the subject alone identifies them. */
  issuer?: string;
  subject: string;
  email: string;
  /** The tenant the user last switched to, used when a request names none. */
  activeTenantId: string | null;
  createdAt: Date;
  /** Roles outside any tenant (src/admin/platform-roles.ts); absent: none. */
  platformRoles?: PlatformRole[];
}

export interface TenantDocument {
  _id: string;
  slug: string;
  name: string;
  /** Absent on tenants created before plans: they have the default plan. */
  plan?: PlanName;
  createdAt: Date;
  /** Set while an operator has the tenant suspended: it then serves no request (nothing is deleted). */
  suspendedAt?: Date;
  suspendReason?: string;
}

/** The roles of one user in one tenant. Read on every request (through a short cache), never from tokens. */
export interface MembershipDocument {
  _id: string;
  userId: string;
  tenantId: string;
  roles: Role[];
  updatedAt: Date;
}

import type { Role } from '../authz/roles.js';
import type { KeyLimits } from '../limits/plans.js';
import type { PrincipalRef } from './principal.js';

/** An integration credential. The secret itself is never stored: only its SHA-256. */
export interface ApiKeyDocument {
  /** Also the `<keyId>` part of the `tgk_<keyId>_<secret>` string, so a key is found by primary key. */
  _id: string;
  tenantId: string;
  name: string;
  roles: Role[];
  secretHash: string;
  createdAt: Date;
  /**
   * The user or key that created it. Keys stored before creators were typed references hold a label
   * (`user:<id>` or `key:<id>`) here; only src/tenancy/key-rights.ts reads it, for those keys' grantor.
   */
  createdBy: PrincipalRef | string;
  /**
   * The member whose current roles bound the key's (src/tenancy/key-rights.ts): its creator, or the
   * grantor of the key that created it. Absent on keys stored before the field: then read from `createdBy`.
   */
  grantorId?: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** The trusted operations the key is limited to; null or absent (keys created before the field): no limit. */
  operations?: string[] | null;
  /** Rate limits of the key's own, each applied when lower than its tenant's plan; absent: the plan's. */
  limits?: KeyLimits | null;
}

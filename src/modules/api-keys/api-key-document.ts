import type { Role } from '../../authz/roles.js';

/** An integration credential. The secret itself is never stored: only its SHA-256. */
export interface ApiKeyDocument {
  /** Also the `<keyId>` part of the `tgk_<keyId>_<secret>` string, so a key is found by primary key. */
  _id: string;
  tenantId: string;
  name: string;
  roles: Role[];
  secretHash: string;
  createdAt: Date;
  createdBy: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** The trusted operations the key is limited to; null or absent (keys created before the field): no limit. */
  operations?: string[] | null;
}

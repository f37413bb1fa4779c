import type { Role } from '../authz/roles.js';

/** A verified end user: the JWT checked out, and the user exists in the database. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  /** The identity provider's `sub`. */
  subject: string;
  email: string;
  /** When the presented token stops being valid. */
  expiresAt: Date;
}

/** A verified integration: an API key that exists, is not revoked and has not expired. */
export interface ApiKeyPrincipal {
  kind: 'apiKey';
  keyId: string;
  name: string;
  /** The one tenant the key belongs to. */
  tenantId: string;
  /** The key's own roles; it acts with those its grantor still covers (src/tenancy/key-rights.ts). */
  roles: readonly Role[];
  /** The member whose current roles bound the key's; null when none is known. */
  grantorId: string | null;
  expiresAt: Date | null;
  /**
   * The trusted operations (by name) the key may run, and nothing else; null: not limited beyond its
   * roles (see src/bi/safelist.ts).
   */
  operations: readonly string[] | null;
}

export type Principal = UserPrincipal | ApiKeyPrincipal;

/** One stable label per caller (`user:<id>` or `key:<id>`): for `createdBy` fields and cache keys. */
export const principalLabel = (principal: Principal): string =>
  principal.kind === 'user' ? `user:${principal.userId}` : `key:${principal.keyId}`;

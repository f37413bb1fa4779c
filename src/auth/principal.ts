import type { Role } from '../authz/roles.js';
import type { KeyLimits } from '../limits/plans.js';

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
  /** Limits of the key's own, below its tenant's plan (src/limits/plans.ts); absent: the plan's. */
  limits?: KeyLimits | null;
}

/**
 * Who created something (an API key, a trusted operation, an export link): a user or an API key, as
 * a typed value. Stored as such (`{ kind, id }`), never as a string to be parsed back.
 */
export type PrincipalRef = { kind: 'user'; id: string } | { kind: 'apiKey'; id: string };

/**
 * A verified export link (a valet key, src/bi/export-links.ts): its signature holds, it has not
 * expired, and its creator still holds `roles` in its tenant. It runs its one trusted operation.
 */
export interface ExportLinkPrincipal {
  kind: 'exportLink';
  tenantId: string;
  /** The user or key that created the link; the link never holds more than its creator still does. */
  createdBy: PrincipalRef;
  /** The one trusted operation the link runs. */
  operation: string;
  roles: readonly Role[];
  expiresAt: Date;
}

export type Principal = UserPrincipal | ApiKeyPrincipal | ExportLinkPrincipal;

/**
 * The reference of a caller that creates something: the user or the key itself; an export link
 * acts for its creator.
 */
export function principalRef(principal: Principal): PrincipalRef {
  switch (principal.kind) {
    case 'user':
      return { kind: 'user', id: principal.userId };
    case 'apiKey':
      return { kind: 'apiKey', id: principal.keyId };
    case 'exportLink':
      return principal.createdBy;
  }
}

export function isPrincipalRef(value: unknown): value is PrincipalRef {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, id } = value as Record<string, unknown>;
  return (kind === 'user' || kind === 'apiKey') && typeof id === 'string' && id.length > 0;
}

/** A map key for a reference (`user:<id>`, `apiKey:<id>`): built from the typed value, never parsed. */
export const refKey = (ref: PrincipalRef): string => `${ref.kind}:${ref.id}`;

/**
 * One stable key per caller, for cache keys and logs: a value derived from the typed principal,
 * never read back. An export link is keyed by its creator and its operation.
 */
export function principalKey(principal: Principal): string {
  const key = refKey(principalRef(principal));
  return principal.kind === 'exportLink' ? `exportLink:${principal.operation}:${key}` : key;
}

import { isPrincipalRef, type PrincipalRef } from '../auth/principal.js';
import { isRole, type Role } from '../authz/roles.js';
import { isId } from '../data/ids.js';
import type { TenantDb } from '../data/tenant-db.js';
import { isRecord } from './is-record.js';
import type { LinkSecrets } from './link-secrets.js';

/*
 * Valet-key links (createExportLink): a URL that returns the rows of one trusted operation, with fixed
 * variables, in one format, to whoever holds it until it expires, with no other credential.
 *
 * Nothing is stored per link. The URL carries its claims (tenant, operation name and hash, variables,
 * format, the creator's roles, expiry) and an HMAC-SHA256 of them under the tenant's link secret
 * (link-secrets.ts). Any change to the claims, the format
 * included, breaks the signature; a link signed under another tenant's secret does not verify under
 * this one, so a link names its tenant and can reach no other. Rotating the secret
 * (rotateExportLinkSecret) revokes every link of the tenant at once, on every instance, as the
 * secret is read from the database on each use. The claims are signed, not encrypted: the holder of a
 * link can read its variables (never a secret: they are the operation's arguments).
 */

export type ExportFormat = 'CSV' | 'NDJSON';

export const EXPORT_EXTENSIONS: Readonly<Record<ExportFormat, string>> = { CSV: 'csv', NDJSON: 'ndjson' };

export interface ExportLinkClaims {
  tenantId: string;
  /** The trusted operation by name, and the hash of its body at creation: a re-registered body does not run. */
  operation: string;
  hash: string;
  variables: Record<string, unknown> | null;
  format: ExportFormat;
  /** The creator's roles in the tenant at creation: the run has exactly these. */
  roles: Role[];
  /** The user or key that created the link: the link never holds more than it still does. */
  createdBy: PrincipalRef;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** Distinguishes these MACs from any other use of the secret. */
const MAC_CONTEXT = 'tenantgraph export link v1\n';

/** The claims of a decoded payload, or null for anything not exactly their shape. */
function claimsOf(value: unknown): ExportLinkClaims | null {
  if (!isRecord(value)) return null;
  const { t, o, h, x, f, r, c, e } = value;
  if (
    !isId(t) ||
    typeof o !== 'string' ||
    typeof h !== 'string' ||
    !(x === null || isRecord(x)) ||
    (f !== 'CSV' && f !== 'NDJSON') ||
    !Array.isArray(r) ||
    !r.every(isRole) ||
    !isPrincipalRef(c) ||
    typeof e !== 'number' ||
    !Number.isSafeInteger(e)
  ) {
    return null;
  }
  return {
    tenantId: t,
    operation: o,
    hash: h,
    variables: x,
    format: f,
    roles: r,
    createdBy: { kind: c.kind, id: c.id },
    expiresAt: e,
  };
}

export class ExportLinks {
  constructor(private readonly secrets: LinkSecrets) {}

  /** The token of a link (`<claims>.<mac>`, base64url), signed with the secret of the tenant of `db`. */
  async sign(db: TenantDb, claims: Omit<ExportLinkClaims, 'tenantId'>): Promise<string> {
    const wire = {
      t: db.tenantId,
      o: claims.operation,
      h: claims.hash,
      x: claims.variables,
      f: claims.format,
      r: claims.roles,
      c: claims.createdBy,
      e: claims.expiresAt,
    };
    const payload = Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
    return `${payload}.${await this.secrets.sign(db, MAC_CONTEXT, payload)}`;
  }

  /**
   * The claims of a genuine, unexpired token, else null, whatever the reason (malformed, tampered,
   * signed under a rotated secret, expired): the caller answers them all alike and reveals nothing.
   */
  async verify(token: string, now: Date = new Date()): Promise<ExportLinkClaims | null> {
    const parts = token.split('.');
    const [payload, signature] = parts;
    if (parts.length !== 2 || !payload || !signature || !/^[\w-]+$/.test(payload) || !/^[\w-]+$/.test(signature))
      return null;
    let claims: ExportLinkClaims | null;
    try {
      claims = claimsOf(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      return null;
    }
    if (!claims || !(await this.secrets.verify(claims.tenantId, MAC_CONTEXT, payload, signature))) return null;
    if (claims.expiresAt * 1000 <= now.getTime()) return null;
    return claims;
  }

  /** A new secret for the tenant of `db`: every link (and valet URL) signed before stops verifying. */
  rotate(db: TenantDb): Promise<void> {
    return this.secrets.rotate(db);
  }
}

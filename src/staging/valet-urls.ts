import { isRecord } from '../bi/is-record.js';
import type { LinkSecrets } from '../bi/link-secrets.js';
import { isDuplicateKeyError } from '../data/errors.js';
import { isId, newId } from '../data/ids.js';
import type { Database } from '../data/database.js';
import type { TenantDb } from '../data/tenant-db.js';

/*
 * Valet URLs: `/staging/<token>`, a URL that is its own credential for one file of one job of one
 * tenant, in one direction. The token carries its claims and an HMAC-SHA256 of them under the
 * tenant's link secret (src/bi/link-secrets.ts, the export links' secret, in a context of its own),
 * so nothing is stored per URL, except the single use of an upload URL: its nonce is recorded
 * (`valetUploads`) when an upload starts, and released again if that upload fails, so an upload URL
 * stores one file at most. A download URL works until it expires. Any change to the claims breaks
 * the signature; rotating the tenant's link secret revokes every URL at once.
 */

export type ValetAction = 'upload' | 'download';

export interface ValetClaims {
  tenantId: string;
  /** The job (or any unit of staged work) the file belongs to. */
  jobId: string;
  /** The file's name within the job, e.g. `input.csv`. */
  file: string;
  action: ValetAction;
  /** Upload URLs: the most bytes the upload may hold. */
  maxBytes: number | null;
  /** Upload URLs: makes the URL single-use. */
  nonce: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

interface ValetUploadDocument {
  _id: string;
  tenantId: string;
  jobId: string;
  file: string;
  startedAt: Date;
}

const MAC_CONTEXT = 'tenantgraph staging valet url v1\n';

/** What a job id or a file name may be: one safe path segment. */
export const STAGING_SEGMENT = /^[\w-][\w.-]{0,99}$/;

const uploads = (db: TenantDb) => db.collection<ValetUploadDocument>('valetUploads');

function claimsOf(value: unknown): ValetClaims | null {
  if (!isRecord(value)) return null;
  const { t, j, f, a, m, n, e } = value;
  if (
    !isId(t) ||
    typeof j !== 'string' ||
    !STAGING_SEGMENT.test(j) ||
    typeof f !== 'string' ||
    !STAGING_SEGMENT.test(f) ||
    (a !== 'upload' && a !== 'download') ||
    !(m === null || (typeof m === 'number' && Number.isSafeInteger(m) && m >= 0)) ||
    !isId(n) ||
    typeof e !== 'number' ||
    !Number.isSafeInteger(e)
  ) {
    return null;
  }
  return { tenantId: t, jobId: j, file: f, action: a, maxBytes: m, nonce: n, expiresAt: e };
}

export class ValetUrls {
  constructor(
    private readonly secrets: LinkSecrets,
    private readonly database: Database,
  ) {}

  /** The token of a URL for the tenant of `db`. */
  async sign(db: TenantDb, claims: Omit<ValetClaims, 'tenantId' | 'nonce'>): Promise<string> {
    const wire = {
      t: db.tenantId,
      j: claims.jobId,
      f: claims.file,
      a: claims.action,
      m: claims.maxBytes,
      n: newId(),
      e: claims.expiresAt,
    };
    const payload = Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
    return `${payload}.${await this.secrets.sign(db, MAC_CONTEXT, payload)}`;
  }

  /**
   * The claims of a genuine, unexpired token for `action`, else null whatever the reason: the route
   * answers every refusal alike.
   */
  async verify(token: string, action: ValetAction, now = new Date()): Promise<ValetClaims | null> {
    const parts = token.split('.');
    const [payload, signature] = parts;
    if (parts.length !== 2 || !payload || !signature || !/^[\w-]+$/.test(payload) || !/^[\w-]+$/.test(signature))
      return null;
    let claims: ValetClaims | null;
    try {
      claims = claimsOf(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      return null;
    }
    if (!claims || claims.action !== action) return null;
    if (!(await this.secrets.verify(claims.tenantId, MAC_CONTEXT, payload, signature))) return null;
    if (claims.expiresAt * 1000 <= now.getTime()) return null;
    return claims;
  }

  /** Records the use of an upload URL; false when it was used before (or is in use right now). */
  async claimUpload(claims: ValetClaims): Promise<boolean> {
    try {
      await uploads(this.database.forTenant(claims.tenantId)).insertOne({
        _id: claims.nonce,
        jobId: claims.jobId,
        file: claims.file,
        startedAt: new Date(),
      });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Makes an upload URL whose upload failed usable again (until it expires). */
  async releaseUpload(claims: ValetClaims): Promise<void> {
    await uploads(this.database.forTenant(claims.tenantId)).deleteOne({ _id: claims.nonce });
  }
}

import { badUserInput } from '../errors.js';

const PLACEHOLDER = '{tenant}';
/** A host name label that can be a tenant slug: what `{tenant}` matches. */
const SLUG_LABEL = '([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)';
const HOST_NAME = /^[a-z0-9.-]+$/;

/**
 * `TENANT_HOST_PATTERN` compiled: `{tenant}.api.example.com` names the active tenant by the request's
 * `Host`. Exactly one `{tenant}`, standing for one whole DNS label; the rest is a literal host name.
 */
export class TenantHostPattern {
  readonly #regex: RegExp;

  constructor(readonly pattern: string) {
    const lower = pattern.toLowerCase();
    const parts = lower.split(PLACEHOLDER);
    if (parts.length !== 2) throw new Error(`must hold ${PLACEHOLDER} exactly once`);
    const [before = '', after = ''] = parts;
    if (!(before === '' || before.endsWith('.')) || !(after === '' || after.startsWith('.'))) {
      throw new Error(`${PLACEHOLDER} must be a whole label, e.g. ${PLACEHOLDER}.api.example.com`);
    }
    if ((before + after).replaceAll('.', '') === '' || !HOST_NAME.test(before + after)) {
      throw new Error('must be a host name around {tenant}, e.g. {tenant}.api.example.com');
    }
    this.#regex = new RegExp(`^${literal(before)}${SLUG_LABEL}${literal(after)}$`);
  }

  /** The slug the Host header names, or null when it does not match the pattern (then it names none). */
  slugOf(host: string | undefined): string | null {
    if (host === undefined) return null;
    const name = host.trim().toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
    return this.#regex.exec(name)?.[1] ?? null;
  }
}

const literal = (text: string) => text.replaceAll('.', '\\.').replaceAll('-', '\\-');

/**
 * The tenant a request names: its `X-Tenant-ID`, else the tenant of its `Host`. Both may be sent, but
 * must then agree; a disagreement is the caller's mistake, not a question of rights (BAD_USER_INPUT).
 */
export function requestedTenantSlug(headerSlug: string | null, hostSlug: string | null): string | null {
  if (headerSlug !== null && hostSlug !== null && headerSlug !== hostSlug) {
    throw badUserInput('X-Tenant-ID', `names ${headerSlug}, but the Host names ${hostSlug}`);
  }
  return headerSlug ?? hostSlug;
}

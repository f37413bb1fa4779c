import { serializeList, type Item } from 'structured-headers';
import { toGlobalId } from '../modules/global-id.js';
import type { BucketStatus } from './rate-limiter.js';

/** The name of the one quota policy: the tenant's bucket. */
export const POLICY = 'tenant';
/**
 * The quota unit: cost points (docs/limits.md). Not one of the draft's registered units (requests,
 * content-bytes, concurrent-requests), which cannot express an operation's cost.
 */
export const QUOTA_UNIT = 'cost-points';

/**
 * The `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers (structured
 * field Lists of one Item): the quota `q` is the bucket's size, the window `w` the seconds it takes to
 * refill from empty, `r` the points held now and `t` the seconds until the bucket is full again. The
 * partition key `pk` is the tenant's id as the API shows it (`Tenant.id`), so a client acting in
 * several tenants tells their buckets apart.
 */
export function rateLimitHeaders(tenantId: string, status: BucketStatus): [string, string][] {
  const pk = new TextEncoder().encode(toGlobalId('Tenant', tenantId)).buffer as ArrayBuffer;
  const window = Math.max(1, Math.ceil(status.maximum / status.restoreRate));
  const policy: Item = [
    POLICY,
    new Map<string, string | number | ArrayBuffer>([
      ['q', status.maximum],
      ['qu', QUOTA_UNIT],
      ['w', window],
      ['pk', pk],
    ]),
  ];
  const current: Item = [
    POLICY,
    new Map<string, number | ArrayBuffer>([
      ['r', status.remaining],
      ['t', status.resetSeconds],
      ['pk', pk],
    ]),
  ];
  return [
    ['ratelimit-policy', serializeList([policy])],
    ['ratelimit', serializeList([current])],
  ];
}

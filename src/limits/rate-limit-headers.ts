import { serializeList, type Item } from 'structured-headers';
import { LRUCache } from 'lru-cache';
import { toGlobalId } from '../modules/global-id.js';
import type { BucketStatus } from './rate-limiter.js';

/** The name of the one quota policy: the tenant's bucket. */
export const POLICY = 'tenant';
/**
 * The quota unit: cost points (docs/limits.md). Not one of the draft's registered units (requests,
 * content-bytes, concurrent-requests), which cannot express an operation's cost.
 */
export const QUOTA_UNIT = 'cost-points';

/** A tenant's policy field and its serialized partition key, which change only with its plan. */
interface TenantFields {
  maximum: number;
  restoreRate: number;
  policy: string;
  /** The `pk` parameter as serialized (a Byte Sequence): `:base64:`. */
  pk: string;
}

const fieldsByTenant = new LRUCache<string, TenantFields>({ max: 10_000 });

function tenantFields(tenantId: string, status: BucketStatus): TenantFields {
  const known = fieldsByTenant.get(tenantId);
  if (known && known.maximum === status.maximum && known.restoreRate === status.restoreRate) return known;
  const pkBytes = new TextEncoder().encode(toGlobalId('Tenant', tenantId)).buffer as ArrayBuffer;
  const window = Math.max(1, Math.ceil(status.maximum / status.restoreRate));
  const policy: Item = [
    POLICY,
    new Map<string, string | number | ArrayBuffer>([
      ['q', status.maximum],
      ['qu', QUOTA_UNIT],
      ['w', window],
      ['pk', pkBytes],
    ]),
  ];
  const pk = serializeList([[POLICY, new Map([['pk', pkBytes]])]]).slice(`"${POLICY}";pk=`.length);
  const fields = { maximum: status.maximum, restoreRate: status.restoreRate, policy: serializeList([policy]), pk };
  fieldsByTenant.set(tenantId, fields);
  return fields;
}

/**
 * The `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers (structured
 * field Lists of one Item): the quota `q` is the bucket's size, the window `w` the seconds it takes to
 * refill from empty, `r` the points held now and `t` the seconds until the bucket is full again. The
 * partition key `pk` is the tenant's id as the API shows it (`Tenant.id`), so a client acting in
 * several tenants tells their buckets apart. The policy and the key are serialized once per tenant
 * and plan; `r` and `t`, non-negative integers, are written as they are (an Integer's serialization).
 */
export function rateLimitHeaders(tenantId: string, status: BucketStatus): [string, string][] {
  const { policy, pk } = tenantFields(tenantId, status);
  return [
    ['ratelimit-policy', policy],
    ['ratelimit', `"${POLICY}";r=${status.remaining};t=${status.resetSeconds};pk=${pk}`],
  ];
}

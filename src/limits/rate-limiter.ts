import type { KeyLimits, PlanLimits } from './plans.js';
import { TokenBucket, type BucketShape } from './token-bucket.js';

/** Who an operation is charged to: its tenant, under its plan, and the API key when it has limits. */
export interface Payer {
  tenantId: string;
  plan: PlanLimits;
  key: { keyId: string; limits: KeyLimits } | null;
}

/** What the caller is told about its tenant's bucket (`extensions.cost`, RateLimit headers). */
export interface BucketStatus {
  /** Points held now. */
  remaining: number;
  restoreRate: number;
  /** The bucket's size. */
  maximum: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

export type Admission =
  | { admitted: true; ticket: Ticket }
  | { admitted: false; reason: 'cost' | 'inFlight'; retryAfterSeconds: number };

/** An admitted operation: settled once with its actual cost, which releases its place in flight. */
export interface Ticket {
  readonly payer: Payer;
  readonly estimated: number;
}

interface TenantState {
  bucket: TokenBucket;
  /** The tenant's plan as last seen on a request. */
  plan: PlanLimits;
  inFlight: number;
  /** Points admitted here since start, net of refunds: what reconciliation tells the other instances. */
  spent: number;
}

/** An API key's own bucket, and what it admitted here since start, net of refunds (reconciled like a tenant's). */
interface KeyState {
  bucket: TokenBucket;
  tenantId: string;
  /** The key's shape as last seen on a request. */
  shape: BucketShape;
  spent: number;
}

/** A key's own bucket: the lower of its limits and its plan's. */
const keyShape = (payer: Payer): BucketShape => ({
  restoreRate: Math.min(payer.plan.restoreRate, payer.key?.limits.restoreRate ?? Number.POSITIVE_INFINITY),
  bucketSize: Math.min(payer.plan.bucketSize, payer.key?.limits.bucketSize ?? Number.POSITIVE_INFINITY),
});

/** The cost limit of one operation for this payer: the lower of the plan's and the key's. */
export const maxCostOf = (payer: Payer): number =>
  Math.min(payer.plan.maxCost, payer.key?.limits.maxCost ?? Number.POSITIVE_INFINITY);

/**
 * The token buckets of this instance, in memory: one per tenant, one per API key that has limits
 * of its own. Deciding never waits on anything. Each bucket mirrors the tenant's (or the key's)
 * bucket across instances: `spentByTenant` and `spentByKey` report what was admitted here, `charge`
 * and `chargeKey` deduct what the others admitted (src/limits/reconciler.ts).
 */
export class RateLimiter {
  readonly #tenants = new Map<string, TenantState>();
  readonly #keys = new Map<string, KeyState>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Admits an operation of this estimated cost, taking it from the buckets, or says why not. */
  admit(payer: Payer, estimated: number): Admission {
    const now = this.#now();
    const tenant = this.#tenant(payer, now);
    if (tenant.inFlight >= payer.plan.requestsInFlight) {
      return { admitted: false, reason: 'inFlight', retryAfterSeconds: 1 };
    }
    const key = payer.key ? this.#key(payer, now) : null;
    const tenantWait = tenant.bucket.secondsUntil(estimated, payer.plan, now);
    const keyWait = key ? key.bucket.secondsUntil(estimated, key.shape, now) : 0;
    if (tenantWait > 0 || keyWait > 0) {
      return {
        admitted: false,
        reason: 'cost',
        retryAfterSeconds: Math.max(1, Math.ceil(Math.max(tenantWait, keyWait))),
      };
    }
    tenant.bucket.take(estimated);
    if (key) {
      key.bucket.take(estimated);
      key.spent += estimated;
    }
    tenant.inFlight += 1;
    tenant.spent += estimated;
    return { admitted: true, ticket: { payer, estimated } };
  }

  /**
   * Seconds until the payer could be admitted an operation of `points` (1: anything at all): while its
   * tenant's bucket (or its key's) holds less, or the tenant has its maximum in flight. 0 when it
   * might be admitted.
   */
  emptyFor(payer: Payer, points = 1): number {
    const now = this.#now();
    const tenant = this.#tenants.get(payer.tenantId);
    if (!tenant) return 0;
    if (tenant.inFlight >= payer.plan.requestsInFlight) return 1;
    const key = payer.key ? this.#keys.get(payer.key.keyId) : undefined;
    return Math.max(
      tenant.bucket.secondsUntil(points, payer.plan, now),
      key ? key.bucket.secondsUntil(points, keyShape(payer), now) : 0,
    );
  }

  /** Ends an admitted operation: refunds its estimate beyond `actual` and frees its place in flight. */
  settle(ticket: Ticket, actual: number): void {
    const tenant = this.#tenants.get(ticket.payer.tenantId);
    if (!tenant) return;
    tenant.inFlight = Math.max(0, tenant.inFlight - 1);
    const refund = Math.max(0, ticket.estimated - actual);
    if (refund === 0) return;
    tenant.bucket.give(refund, ticket.payer.plan);
    tenant.spent -= refund;
    const key = ticket.payer.key ? this.#keys.get(ticket.payer.key.keyId) : undefined;
    if (key) {
      key.bucket.give(refund, key.shape);
      key.spent -= refund;
    }
  }

  /** The tenant's bucket as the caller is told it. */
  status(payer: Payer): BucketStatus {
    const now = this.#now();
    const { plan } = payer;
    const level = this.#tenant(payer, now).bucket.level(plan, now);
    return {
      remaining: Math.max(0, Math.floor(level)),
      restoreRate: plan.restoreRate,
      maximum: plan.bucketSize,
      resetSeconds: Math.ceil(Math.max(0, plan.bucketSize - level) / plan.restoreRate),
    };
  }

  /** Points admitted here per tenant since start, net of refunds. */
  spentByTenant(): Map<string, number> {
    return new Map([...this.#tenants].map(([tenantId, state]) => [tenantId, state.spent]));
  }

  /** Points admitted here per API key with limits since start, net of refunds, with the key's tenant. */
  spentByKey(): Map<string, { tenantId: string; spent: number }> {
    return new Map([...this.#keys].map(([keyId, { tenantId, spent }]) => [keyId, { tenantId, spent }]));
  }

  /** Forgets a tenant that is gone (purged), and its keys: they are reported no more. */
  forget(tenantId: string): void {
    this.#tenants.delete(tenantId);
    for (const [keyId, key] of this.#keys) if (key.tenantId === tenantId) this.#keys.delete(keyId);
  }

  /** Deducts points other instances admitted for this tenant. */
  charge(tenantId: string, points: number): void {
    const tenant = this.#tenants.get(tenantId);
    if (tenant && points > 0) tenant.bucket.charge(points, tenant.plan, this.#now());
  }

  /** Deducts points other instances admitted for this API key. */
  chargeKey(keyId: string, points: number): void {
    const key = this.#keys.get(keyId);
    if (key && points > 0) key.bucket.charge(points, key.shape, this.#now());
  }

  #tenant(payer: Payer, now: number): TenantState {
    let state = this.#tenants.get(payer.tenantId);
    if (!state) {
      state = { bucket: new TokenBucket(payer.plan, now), plan: payer.plan, inFlight: 0, spent: 0 };
      this.#tenants.set(payer.tenantId, state);
    }
    state.plan = payer.plan;
    return state;
  }

  #key(payer: Payer, now: number): KeyState {
    const keyId = payer.key!.keyId;
    const shape = keyShape(payer);
    let key = this.#keys.get(keyId);
    if (!key) {
      key = { bucket: new TokenBucket(shape, now), tenantId: payer.tenantId, shape, spent: 0 };
      this.#keys.set(keyId, key);
    }
    key.shape = shape;
    return key;
  }
}

import { randomUUID } from 'node:crypto';
import { getOperationAST, type DocumentNode, type GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { HeaderLookup } from '../auth/credentials.js';
import type { Principal } from '../auth/principal.js';
import type { ActiveTenant } from '../context.js';
import type { LimitsStore, UsageDocument } from '../data/limits-store.js';
import type { RequestContext } from '../context.js';
import { AuthThrottle, type AuthThrottleOptions } from './auth-throttle.js';
import { actualCost, type OperationShape } from './cost-model.js';
import { rateLimited } from './limit-errors.js';
import { ExecutionPlaces, sampleEventLoop } from './execution-places.js';
import { FairQueue } from './fair-queue.js';
import { createOperationCoster, overMaximumCost, type OperationCoster } from './operation-cost.js';
import { DEFAULT_PLAN, type PlanName, type Plans } from './plans.js';
import { maxCostOf, RateLimiter, type BucketStatus, type Payer, type Ticket } from './rate-limiter.js';
import { Reconciler } from './reconciler.js';
import { SubscriptionCaps } from './subscription-caps.js';
import { UsageLedger } from './usage-ledger.js';

export interface LimitsOptions {
  plans: Plans;
  authFailures: AuthThrottleOptions;
  store: LimitsStore;
  /** How often this instance exchanges consumption with the others (RATE_LIMIT_SYNC_MS). */
  syncMs: number;
  /** How often the usage ledger is written (USAGE_FLUSH_MS). */
  usageFlushMs: number;
  /** Operations executing at once on this instance, shared fairly between tenants (EXECUTION_CONCURRENCY). */
  executionConcurrency: number;
  /** How many places the instance may grow to while operations wait on the database (EXECUTION_CONCURRENCY_MAX). */
  executionConcurrencyMax: number;
  onError: (error: unknown) => void;
}

/** The limits a request is decided against: who it acts for, in which tenant. */
export type LimitedCaller = Pick<RequestContext, 'tenant' | 'principal'> & Partial<Pick<RequestContext, 'limits'>>;

/**
 * What names a caller before its credentials are verified: the headers that decide who it is and in
 * which tenant it acts. Only ever used to refuse early, never to admit (see `refuseEarly`).
 */
export const callerKey = (header: HeaderLookup): string =>
  ['authorization', 'x-api-key', 'x-tenant-id', 'host'].map((name) => header(name) ?? '').join('\n');

/** The active tenant's limits as one caller is held to them: the request context's `limits`. */
export interface TenantLimits {
  /** The tenant's bucket now, its plan, and the caller's maximum cost per operation. */
  rateLimit(): BucketStatus & { plan: PlanName; maxCostPerOperation: number };
  /** The tenant's usage ledger for the hours from `from` to `to`. */
  usage(from: Date, to: Date): Promise<UsageDocument[]>;
  /** Refuses (BAD_USER_INPUT) a trusted operation to register whose worst cost is over the maximum. */
  checkWorstCase(document: DocumentNode): void;
  /** Counts rows a CSV or NDJSON export wrote, in the usage ledger. */
  recordExportedRows(rows: number): void;
}

/** How often the number of execution places is adapted to the event loop's load. */
const PLACES_WINDOW_MS = 100;

/** Callers remembered for early refusal, and for how long. */
const REMEMBERED_CALLERS = 10_000;
const REMEMBER_MS = 10_000;

/** A caller verified within REMEMBER_MS: who pays, and what its latest refused operation cost. */
interface RememberedCaller {
  /** Its key (`callerKey`). */
  readonly key: string;
  /** It left the remembered callers (the least recent of too many): remembered again on its next request. */
  dropped: boolean;
  payer: Payer;
  refusedCost: number;
  /** Until when (ms since the epoch) it is remembered: REMEMBER_MS after its latest verified request. */
  until: number;
}

/** An operation that was admitted: to wait for its turn, then to be finished once with its result. */
export interface AdmittedOperation {
  requested: number;
  ticket: Ticket | null;
  /** Where its response can hold objects, to count its actual cost; null when nobody pays for it. */
  shape: OperationShape | null;
  /** It holds a place in the fair queue of execution (`turn`), which `finish` frees. */
  executing?: boolean;
}

/**
 * The limits of one instance, for every transport: the cost of an operation against its plan's
 * maximum, and the admission of it by the tenant's bucket. Built once per server.
 */
export class Limits {
  readonly coster: OperationCoster;
  readonly limiter: RateLimiter;
  readonly subscriptions = new SubscriptionCaps();
  readonly authFailures: AuthThrottle;
  readonly usage: UsageLedger;
  readonly plans: Plans;
  readonly #reconciler: Reconciler;
  readonly #execution: FairQueue;
  readonly #places: ExecutionPlaces;
  #stopSampling: (() => void) | null = null;
  /**
   * Remembered callers, the most recent kept. Each carries its own expiry, pushed back by every request
   * of the caller without setting the entry again (the cache's own TTL would, on every request).
   */
  readonly #callers = new LRUCache<string, RememberedCaller>({
    max: REMEMBERED_CALLERS,
    dispose: (remembered) => {
      remembered.dropped = true;
    },
  });
  /**
   * The remembered caller of each verified principal (shared by every request of one verified caller,
   * and by the copies Apollo makes of a context), so that `admit` can note a refused cost without
   * looking the caller up again.
   */
  readonly #rememberedOf = new WeakMap<Principal, RememberedCaller>();
  /** Who pays for a principal's requests, as last worked out (a tenant's plan changes its payer). */
  readonly #payers = new WeakMap<Principal, Payer>();
  /** When an operation was last refused by its buckets or its tenant's operations in flight (ms since the epoch). */
  #refusedAt = Number.NEGATIVE_INFINITY;

  constructor(schema: GraphQLSchema, options: LimitsOptions) {
    this.coster = createOperationCoster(schema);
    this.plans = options.plans;
    this.limiter = new RateLimiter();
    this.authFailures = new AuthThrottle(options.authFailures);
    this.usage = new UsageLedger(options.store, options.usageFlushMs, options.onError);
    this.#places = new ExecutionPlaces(options.executionConcurrency, options.executionConcurrencyMax);
    this.#execution = new FairQueue(this.#places.current);
    this.#reconciler = new Reconciler(options.store, this.limiter, this.subscriptions, {
      instanceId: randomUUID(),
      intervalMs: options.syncMs,
      onError: options.onError,
    });
  }

  /** Starts the background work: reconciliation with the other instances, ledger writes. */
  start(): void {
    this.#reconciler.start();
    this.usage.start();
    this.#stopSampling = sampleEventLoop(PLACES_WINDOW_MS, (utilization) =>
      this.#execution.resize(this.#places.next(utilization, this.#execution.tookWaits())),
    );
  }

  /**
   * Forgets a purged tenant on this instance: its bucket, its consumption report and its ledger, so that
   * no background write brings a document of it back after the purge.
   */
  async forgetTenant(tenantId: string): Promise<void> {
    this.limiter.forget(tenantId);
    await Promise.all([this.#reconciler.forget(tenantId), this.usage.forget(tenantId)]);
  }

  /** Stops it, writing what the ledger still holds. */
  async stop(): Promise<void> {
    this.#stopSampling?.();
    await this.#reconciler.stop();
    await this.usage.stop();
  }

  /** The capability of a request acting in `tenant` (src/server/request-context.ts builds it). */
  forTenant(tenant: ActiveTenant, principal: Principal): TenantLimits {
    const caller = { tenant, principal };
    return {
      rateLimit: () => {
        const payer = this.payerOf(caller)!;
        return { ...this.limiter.status(payer), plan: tenant.plan, maxCostPerOperation: maxCostOf(payer) };
      },
      usage: (from, to) => this.usage.read(tenant.id, from, to),
      checkWorstCase: (document) => this.checkWorstCase(caller, document),
      recordExportedRows: (rows) => this.usage.record(tenant.id, { rowsExported: rows }),
    };
  }

  /**
   * Remembers who pays for the requests of a verified caller (see `refuseEarly`). A caller remembered
   * under the same key is found from its principal, without looking its key up again.
   */
  remember(key: string, caller: LimitedCaller): void {
    const payer = this.payerOf(caller);
    if (!payer) return;
    const until = Date.now() + REMEMBER_MS;
    const known = this.#rememberedOf.get(caller.principal);
    if (known && !known.dropped && known.key === key) {
      known.payer = payer;
      known.until = until;
      return;
    }
    let remembered = this.#callers.get(key);
    if (remembered) {
      remembered.payer = payer;
      remembered.until = until;
    } else {
      remembered = { key, dropped: false, payer, refusedCost: 1, until };
      this.#callers.set(key, remembered);
    }
    this.#rememberedOf.set(caller.principal, remembered);
  }

  /**
   * RATE_LIMITED for a request of a caller verified within the last seconds whose bucket cannot hold
   * what its last refused operation cost (or anything at all, or whose tenant has its maximum in
   * flight): refused before its credentials are verified again and before its document is parsed, so
   * that a flood of refused requests costs the server little. A cheaper operation of that caller is
   * refused too until the bucket holds the refused cost again, at most `REMEMBER_MS` after its last
   * verified request. A caller not remembered, or whose bucket holds enough, goes the normal way. It
   * never admits. `waitSeconds`: how long until the bucket holds that cost. It builds no error: the
   * caller answers with the figures, as cheaply as it can. While no operation was refused for
   * REMEMBER_MS, no bucket is known to be short and no caller is looked up (the look-up hashes the
   * whole credential): the first request to find its bucket short is refused the normal way, and
   * early refusal takes over from there.
   */
  refuseEarly(key: string): { tenantId: string; status: BucketStatus; waitSeconds: number } | null {
    const now = Date.now();
    if (now - this.#refusedAt > REMEMBER_MS) return null;
    const remembered = this.#callers.get(key);
    if (!remembered || remembered.until < now) return null;
    const { payer, refusedCost } = remembered;
    const wait = this.limiter.emptyFor(payer, refusedCost);
    if (wait <= 0) return null;
    this.#refusedAt = now;
    this.usage.record(payer.tenantId, { requests: 1, requestsThrottled: 1 });
    return { tenantId: payer.tenantId, status: this.limiter.status(payer), waitSeconds: wait };
  }

  /** Notes what the remembered caller's latest operation cost when refused (1 once one is admitted). */
  #noteRefusedCost(caller: LimitedCaller, payer: Payer, cost: number): void {
    const remembered = this.#rememberedOf.get(caller.principal);
    if (remembered && remembered.payer.tenantId === payer.tenantId) remembered.refusedCost = cost;
  }

  /**
   * Who pays for a request: its tenant under its plan, and its API key when the key has limits. The
   * same object for every request of a principal in a tenant and plan.
   */
  payerOf(caller: LimitedCaller): Payer | null {
    const { tenant, principal } = caller;
    if (!tenant) return null;
    const plan = this.plans[tenant.plan];
    const known = this.#payers.get(principal);
    if (known && known.tenantId === tenant.id && known.plan === plan) return known;
    const keyLimits = principal.kind === 'apiKey' ? principal.limits : null;
    const payer = {
      tenantId: tenant.id,
      plan,
      key: principal.kind === 'apiKey' && keyLimits ? { keyId: principal.keyId, limits: keyLimits } : null,
    };
    this.#payers.set(principal, payer);
    return payer;
  }

  /**
   * Costs an operation and admits it, or throws: BAD_USER_INPUT when it is over its plan's maximum
   * cost (or its variables or representations are bad), RATE_LIMITED when the buckets do not hold
   * its cost or the tenant has too many operations in flight. Nothing has executed when it throws.
   */
  admit(
    caller: LimitedCaller,
    document: DocumentNode,
    variables: Record<string, unknown> | undefined,
    operationName: string | undefined,
  ): AdmittedOperation {
    const payer = this.payerOf(caller);
    const requested = this.coster.estimate(document, variables, operationName);
    const maximum = payer ? maxCostOf(payer) : this.plans[DEFAULT_PLAN].maxCost;
    if (requested > maximum) throw overMaximumCost(requested, maximum);
    if (!payer) return { requested, ticket: null, shape: null };
    const admission = this.limiter.admit(payer, requested);
    if (!admission.admitted) {
      this.#refusedAt = Date.now();
      this.usage.record(payer.tenantId, { requests: 1, requestsThrottled: 1 });
      if (admission.reason === 'cost') this.#noteRefusedCost(caller, payer, requested);
      throw rateLimited(admission.reason, admission.retryAfterSeconds, requested);
    }
    this.#noteRefusedCost(caller, payer, 1);
    return { requested, ticket: admission.ticket, shape: this.coster.shape(document, operationName) };
  }

  /** `admit`, charging the whole estimate at once (no refund, no place in flight held): the start of a subscription. */
  admitWhole(
    caller: LimitedCaller,
    document: DocumentNode,
    variables: Record<string, unknown> | undefined,
    operationName: string | undefined,
  ): number {
    const operation = this.admit(caller, document, variables, operationName);
    if (operation.ticket) {
      this.limiter.settle(operation.ticket, operation.requested);
      this.usage.record(operation.ticket.payer.tenantId, { requests: 1, costAdmitted: operation.requested });
    }
    return operation.requested;
  }

  /**
   * An operation over WebSocket (`id` on `connection`), admitted by cost like any other. A query or
   * a mutation is returned to wait for its turn (`turn`) and be finished with its result (`finish`),
   * as over HTTP. A subscription is charged its whole estimate at once (its events are not measured)
   * and counted against its plan's caps of subscriptions per connection and per tenant (RATE_LIMITED
   * when at a cap) until `release` or `releaseAll`: null.
   */
  admitOnConnection(
    connection: object,
    id: string,
    caller: LimitedCaller,
    document: DocumentNode,
    variables: Record<string, unknown> | undefined,
    operationName: string | undefined,
  ): AdmittedOperation | null {
    if (getOperationAST(document, operationName)?.operation !== 'subscription') {
      return this.admit(caller, document, variables, operationName);
    }
    const payer = this.payerOf(caller);
    if (payer) this.subscriptions.open(connection, id, payer.tenantId, payer.plan);
    try {
      this.admitWhole(caller, document, variables, operationName);
    } catch (error) {
      this.subscriptions.close(connection, id);
      throw error;
    }
    return null;
  }

  /** The operation `id` of `connection` ended. */
  release(connection: object, id: string): void {
    this.subscriptions.close(connection, id);
  }

  /** The connection closed: its subscriptions ended. */
  releaseAll(connection: object): void {
    this.subscriptions.closeAll(connection);
  }

  /**
   * Refuses (BAD_USER_INPUT) an operation to be registered as trusted whose cost, with the costliest
   * variables a caller could send, is over the caller's plan maximum.
   */
  checkWorstCase(caller: LimitedCaller, document: DocumentNode): void {
    const payer = this.payerOf(caller);
    const cost = this.coster.worstCase(document);
    const maximum = payer ? maxCostOf(payer) : this.plans[DEFAULT_PLAN].maxCost;
    if (cost > maximum) throw overMaximumCost(cost, maximum);
  }

  /**
   * Waits for an admitted operation's turn to execute, fairly between tenants (src/limits/fair-queue.ts):
   * undefined when it may execute at once. A tenant's own burst waits behind itself, not ahead of
   * another tenant's operations.
   */
  turn(operation: AdmittedOperation): Promise<void> | undefined {
    if (!operation.ticket || operation.executing) return undefined;
    operation.executing = true;
    const { payer } = operation.ticket;
    return this.#execution.enter(payer.tenantId, payer.plan.executionWeight);
  }

  /**
   * Ends an admitted operation with its result's data (undefined when it did not execute): refunds the
   * estimate beyond the actual cost and frees its place of execution.
   */
  finish(operation: AdmittedOperation, data: unknown): number {
    const actual = operation.shape ? Math.min(operation.requested, actualCost(operation.shape, data)) : 0;
    if (operation.executing) {
      operation.executing = false;
      this.#execution.leave(operation.ticket!.payer.tenantId);
    }
    if (operation.ticket) {
      this.limiter.settle(operation.ticket, actual);
      this.usage.record(operation.ticket.payer.tenantId, { requests: 1, costAdmitted: actual });
    }
    return actual;
  }

  /** The caller's tenant bucket, or null outside a tenant. */
  status(caller: LimitedCaller): { tenantId: string; status: BucketStatus } | null {
    const payer = this.payerOf(caller);
    return payer ? { tenantId: payer.tenantId, status: this.limiter.status(payer) } : null;
  }
}

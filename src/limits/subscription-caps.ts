import { rateLimited } from './limit-errors.js';
import type { PlanLimits } from './plans.js';

/**
 * The live subscriptions of a tenant, counted against their plan's caps: per WebSocket connection
 * (on this instance) and per tenant, across instances: this instance's own count plus what each other
 * instance last reported through the exchange (src/limits/reconciler.ts). A subscription over a cap is
 * refused alone: the connection and its other streams go on. Every opened subscription is closed
 * exactly once: when it completes, or with its connection.
 */
export class SubscriptionCaps {
  /** connection → subscription id → tenant id. */
  readonly #byConnection = new Map<object, Map<string, string>>();
  readonly #byTenant = new Map<string, number>();
  /** Other instance → tenant → its live subscriptions, as it last reported them. */
  readonly #peers = new Map<string, Map<string, number>>();
  /** Tenant → the sum of the other instances' reports. */
  readonly #peerTotals = new Map<string, number>();

  /** Counts a new subscription, or throws RATE_LIMITED when the connection or the tenant is at its cap. */
  open(connection: object, id: string, tenantId: string, plan: PlanLimits): void {
    const open = this.#byConnection.get(connection) ?? new Map<string, string>();
    if (open.size >= plan.subscriptionsPerConnection || this.tenantWide(tenantId) >= plan.subscriptionsPerTenant) {
      throw rateLimited('subscriptions', 1);
    }
    open.set(id, tenantId);
    this.#byConnection.set(connection, open);
    this.#byTenant.set(tenantId, this.count(tenantId) + 1);
  }

  /** Forgets one subscription (nothing when it was not counted). */
  close(connection: object, id: string): void {
    const open = this.#byConnection.get(connection);
    const tenantId = open?.get(id);
    if (!open || tenantId === undefined) return;
    open.delete(id);
    if (open.size === 0) this.#byConnection.delete(connection);
    const left = this.count(tenantId) - 1;
    if (left > 0) this.#byTenant.set(tenantId, left);
    else this.#byTenant.delete(tenantId);
  }

  /** Forgets every subscription of a closed connection. */
  closeAll(connection: object): void {
    for (const id of [...(this.#byConnection.get(connection)?.keys() ?? [])]) this.close(connection, id);
  }

  /** Live subscriptions of the tenant on this instance. */
  count(tenantId: string): number {
    return this.#byTenant.get(tenantId) ?? 0;
  }

  /** Live subscriptions of the tenant on every instance, as far as this one knows. */
  tenantWide(tenantId: string): number {
    return this.count(tenantId) + (this.#peerTotals.get(tenantId) ?? 0);
  }

  /** Notes another instance's latest report of the tenant's live subscriptions there. */
  reported(instanceId: string, tenantId: string, count: number): void {
    const counts = this.#peers.get(instanceId) ?? new Map<string, number>();
    this.#addToPeerTotal(tenantId, count - (counts.get(tenantId) ?? 0));
    if (count > 0) counts.set(tenantId, count);
    else counts.delete(tenantId);
    if (counts.size > 0) this.#peers.set(instanceId, counts);
    else this.#peers.delete(instanceId);
  }

  /** Forgets what an instance that is gone reported. */
  forgetInstance(instanceId: string): void {
    for (const [tenantId, count] of this.#peers.get(instanceId) ?? []) this.#addToPeerTotal(tenantId, -count);
    this.#peers.delete(instanceId);
  }

  #addToPeerTotal(tenantId: string, change: number): void {
    const total = (this.#peerTotals.get(tenantId) ?? 0) + change;
    if (total > 0) this.#peerTotals.set(tenantId, total);
    else this.#peerTotals.delete(tenantId);
  }
}

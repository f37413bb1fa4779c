import { rateLimited } from './limit-errors.js';
import type { PlanLimits } from './plans.js';

/**
 * The live subscriptions of this instance, counted per WebSocket connection and per tenant against
 * their plan's caps. A subscription over a cap is refused alone: the connection and its other
 * streams go on. Every opened subscription is closed exactly once: when it completes, or with its
 * connection.
 */
export class SubscriptionCaps {
  /** connection → subscription id → tenant id. */
  readonly #byConnection = new Map<object, Map<string, string>>();
  readonly #byTenant = new Map<string, number>();

  /** Counts a new subscription, or throws RATE_LIMITED when the connection or the tenant is at its cap. */
  open(connection: object, id: string, tenantId: string, plan: PlanLimits): void {
    const open = this.#byConnection.get(connection) ?? new Map<string, string>();
    if (open.size >= plan.subscriptionsPerConnection || this.count(tenantId) >= plan.subscriptionsPerTenant) {
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
}

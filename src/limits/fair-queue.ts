/** A tenant with operations executing or waiting to. */
interface ActiveTenant {
  /** Its plan's weight (`executionWeight`), as of its latest operation. */
  weight: number;
  executing: number;
  /** Operations waiting for their turn, oldest first: each resolves its start. */
  waiting: Array<() => void>;
}

/**
 * Fair admission of execution between tenants, on one instance. All operations share one event loop:
 * each one executing takes a slice of every other's time, so a tenant with twenty operations at once
 * would have twenty slices for another tenant's one. Here at most `concurrency` operations execute at
 * once, and each tenant with operations executing or waiting holds at most its weighted share of
 * those places: `concurrency × its weight ÷ the weights of all such tenants`, at least one. A tenant
 * over its share waits in its own queue, oldest first, and a freed place goes to the waiting tenant
 * furthest below its share (fewest places per unit of weight; among equals, the one whose turn came
 * longest ago), so one tenant's burst queues behind itself, never ahead of another tenant's
 * operation. A tenant alone may use every place.
 */
export class FairQueue {
  #concurrency: number;
  readonly #tenants = new Map<string, ActiveTenant>();
  /** Tenants with operations waiting, the one served longest ago first. */
  readonly #turns: string[] = [];
  #executing = 0;
  #totalWeight = 0;
  /** Whether an operation had to wait for a place since `tookWaits` was last asked. */
  #waited = false;

  constructor(concurrency: number) {
    this.#concurrency = concurrency;
  }

  /**
   * Takes a place for an operation of `tenantId`, whose plan weighs `weight`: undefined when it may
   * execute at once, otherwise a promise that resolves when its turn comes. Every entry is followed
   * by exactly one `leave`, once the operation has executed.
   */
  enter(tenantId: string, weight = 1): Promise<void> | undefined {
    let tenant = this.#tenants.get(tenantId);
    if (!tenant) {
      tenant = { weight, executing: 0, waiting: [] };
      this.#tenants.set(tenantId, tenant);
      this.#totalWeight += weight;
    } else if (tenant.weight !== weight) {
      this.#totalWeight += weight - tenant.weight;
      tenant.weight = weight;
    }
    if (tenant.waiting.length === 0 && this.#mayStart(tenant)) {
      this.#start(tenant);
      return undefined;
    }
    const queued = tenant;
    this.#waited = true;
    return new Promise((resolve) => {
      if (queued.waiting.length === 0) this.#turns.push(tenantId);
      queued.waiting.push(resolve);
    });
  }

  /** An operation of `tenantId` that entered has executed: its place goes to the next in turn. */
  leave(tenantId: string): void {
    const tenant = this.#tenants.get(tenantId);
    if (!tenant || tenant.executing === 0) return;
    tenant.executing -= 1;
    this.#executing -= 1;
    if (tenant.executing === 0 && tenant.waiting.length === 0) {
      this.#tenants.delete(tenantId);
      this.#totalWeight -= tenant.weight;
    }
    this.#serveWaiting();
  }

  /**
   * Sets how many operations may execute at once (see ExecutionPlaces); more places go at once to the
   * waiting tenants, fewer are taken back as operations finish.
   */
  resize(concurrency: number): void {
    this.#concurrency = concurrency;
    this.#serveWaiting();
  }

  /** Whether an operation had to wait for a place since the last call. */
  tookWaits(): boolean {
    const waited = this.#waited || this.#turns.length > 0;
    this.#waited = false;
    return waited;
  }

  /** Operations executing now, and waiting, of one tenant (for tests and diagnostics). */
  load(tenantId: string): { executing: number; waiting: number } {
    const tenant = this.#tenants.get(tenantId);
    return { executing: tenant?.executing ?? 0, waiting: tenant?.waiting.length ?? 0 };
  }

  /** Whether a place is free and the tenant holds less than its weighted share (at least one place). */
  #mayStart(tenant: ActiveTenant): boolean {
    if (this.#executing >= this.#concurrency) return false;
    const share = (this.#concurrency * tenant.weight) / this.#totalWeight;
    return tenant.executing < Math.max(1, share);
  }

  #start(tenant: ActiveTenant): void {
    tenant.executing += 1;
    this.#executing += 1;
  }

  /**
   * Gives free places to waiting tenants, one operation at a time, each to the tenant that may start
   * and holds the fewest places per unit of its weight (the first in turn among equals).
   */
  #serveWaiting(): void {
    while (this.#executing < this.#concurrency) {
      let chosen = -1;
      let chosenLoad = Number.POSITIVE_INFINITY;
      for (const [index, tenantId] of this.#turns.entries()) {
        const tenant = this.#tenants.get(tenantId)!;
        const load = tenant.executing / tenant.weight;
        if (load < chosenLoad && this.#mayStart(tenant)) {
          chosen = index;
          chosenLoad = load;
        }
      }
      if (chosen < 0) return;
      const [tenantId] = this.#turns.splice(chosen, 1);
      const tenant = this.#tenants.get(tenantId!)!;
      this.#start(tenant);
      tenant.waiting.shift()!();
      if (tenant.waiting.length > 0) this.#turns.push(tenantId!);
    }
  }
}

/** A tenant with operations executing or waiting to. */
interface ActiveTenant {
  executing: number;
  /** Operations waiting for their turn, oldest first: each resolves its start. */
  waiting: Array<() => void>;
}

/**
 * Fair admission of execution between tenants, on one instance. All operations share one event loop:
 * each one executing takes a slice of every other's time, so a tenant with twenty operations at once
 * would have twenty slices for another tenant's one. Here at most `concurrency` operations execute at
 * once, and each tenant with operations executing or waiting holds at most an equal share of those
 * places (`concurrency` ÷ such tenants, at least one). A tenant over its share waits in its own queue,
 * and a freed place goes to the waiting tenants in turn (round robin), so one tenant's burst queues
 * behind itself, never ahead of another tenant's operation. A tenant alone may use every place.
 */
export class FairQueue {
  readonly #concurrency: number;
  readonly #tenants = new Map<string, ActiveTenant>();
  /** Tenants with operations waiting, in the order they are served. */
  readonly #turns: string[] = [];
  #executing = 0;

  constructor(concurrency: number) {
    this.#concurrency = concurrency;
  }

  /**
   * Takes a place for an operation of `tenantId`: undefined when it may execute at once, otherwise a
   * promise that resolves when its turn comes. Every entry is followed by exactly one `leave`, once
   * the operation has executed.
   */
  enter(tenantId: string): Promise<void> | undefined {
    let tenant = this.#tenants.get(tenantId);
    if (!tenant) {
      tenant = { executing: 0, waiting: [] };
      this.#tenants.set(tenantId, tenant);
    }
    if (tenant.waiting.length === 0 && this.#mayStart(tenant)) {
      this.#start(tenant);
      return undefined;
    }
    const queued = tenant;
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
    if (tenant.executing === 0 && tenant.waiting.length === 0) this.#tenants.delete(tenantId);
    this.#serveWaiting();
  }

  /** Operations executing now, and waiting, of one tenant (for tests and diagnostics). */
  load(tenantId: string): { executing: number; waiting: number } {
    const tenant = this.#tenants.get(tenantId);
    return { executing: tenant?.executing ?? 0, waiting: tenant?.waiting.length ?? 0 };
  }

  #share(): number {
    return Math.max(1, Math.floor(this.#concurrency / this.#tenants.size));
  }

  #mayStart(tenant: ActiveTenant): boolean {
    return this.#executing < this.#concurrency && tenant.executing < this.#share();
  }

  #start(tenant: ActiveTenant): void {
    tenant.executing += 1;
    this.#executing += 1;
  }

  /** Gives free places to the waiting tenants in turn, each one operation per turn. */
  #serveWaiting(): void {
    let passed = 0;
    while (this.#executing < this.#concurrency && passed < this.#turns.length) {
      const tenantId = this.#turns.shift()!;
      const tenant = this.#tenants.get(tenantId)!;
      if (!this.#mayStart(tenant)) {
        this.#turns.push(tenantId);
        passed += 1;
        continue;
      }
      passed = 0;
      this.#start(tenant);
      tenant.waiting.shift()!();
      if (tenant.waiting.length > 0) this.#turns.push(tenantId);
    }
  }
}

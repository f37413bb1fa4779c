import type { LimitsStore } from '../data/limits-store.js';
import type { RateLimiter } from './rate-limiter.js';

export interface ReconcilerOptions {
  /** This instance's name in the reports; unique per process. */
  instanceId: string;
  /** How often consumption is exchanged with the other instances. */
  intervalMs: number;
  onError: (error: unknown) => void;
}

/**
 * Keeps this instance's tenant buckets in step with the other instances on the same database, off
 * the request path: every `intervalMs` it reports what this instance admitted per tenant and deducts
 * from its own buckets what the others admitted since their previous report. Each bucket therefore
 * mirrors the tenant's one bucket, late by at most one interval of each other instance
 * (docs/limits.md has the bound this gives). The first report of another instance is its history,
 * not news: only what it admits afterwards is deducted.
 */
export class Reconciler {
  readonly #seen = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly store: LimitsStore,
    private readonly limiter: RateLimiter,
    private readonly options: ReconcilerOptions,
  ) {}

  start(): void {
    this.#schedule();
  }

  /**
   * One exchange: report, then deduct what the others admitted. An instance that has admitted nothing
   * yet has no bucket to keep in step, and sends nothing.
   */
  async exchange(): Promise<void> {
    const spent = this.limiter.spentByTenant();
    if (spent.size === 0) return;
    const now = Date.now();
    const liveSince = new Date(now - Math.max(2000, 5 * this.options.intervalMs));
    const { instanceId } = this.options;
    const reports = await this.store.exchangeConsumption(instanceId, spent, new Date(now), liveSince);
    for (const report of reports) {
      if (report.instanceId === instanceId) continue;
      const key = `${report.instanceId}:${report.tenantId}`;
      const previous = this.#seen.get(key);
      this.#seen.set(key, report.spent);
      if (previous !== undefined) this.limiter.charge(report.tenantId, report.spent - previous);
    }
  }

  /**
   * Withdraws this instance's report of a tenant that is gone, once the exchange under way (which may
   * still carry it) is done; the limiter has forgotten the tenant, so no later exchange reports it.
   */
  async forget(tenantId: string): Promise<void> {
    await this.#running;
    await this.store.dropConsumption(this.options.instanceId, tenantId);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.exchange()
        .catch(this.options.onError)
        .finally(() => this.#schedule());
    }, this.options.intervalMs);
    this.#timer.unref();
  }
}

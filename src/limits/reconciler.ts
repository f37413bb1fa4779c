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
/**
 * How often an instance reports every tenant's total again, changed or not: a peer that started
 * meanwhile learns the totals it takes as history (see `exchange`) within this time.
 */
export const FULL_REPORT_MS = 10_000;

export class Reconciler {
  readonly #seen = new Map<string, number>();
  /** What this instance last reported per tenant, and when it last reported them all. */
  readonly #reported = new Map<string, number>();
  #fullReportAt = Number.NEGATIVE_INFINITY;
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
   * yet has no bucket to keep in step, and sends nothing. It reports the tenants whose total changed
   * since its last report, and all of them every FULL_REPORT_MS: with thousands of tenants, most of
   * them quiet in any quarter second, rewriting every total at every exchange would cost the database
   * thousands of writes a second for nothing. A report a peer sees for the first time is taken as
   * history, not news (a peer that starts must not charge another's past): one that first shows up
   * with a change costs that peer one exchange's worth of that tenant's admissions, once.
   */
  async exchange(): Promise<void> {
    const spent = this.limiter.spentByTenant();
    if (spent.size === 0) return;
    const now = Date.now();
    const full = now - this.#fullReportAt >= FULL_REPORT_MS;
    const report = full
      ? spent
      : new Map([...spent].filter(([tenantId, points]) => this.#reported.get(tenantId) !== points));
    const liveSince = new Date(now - Math.max(2000, 5 * this.options.intervalMs));
    const { instanceId } = this.options;
    const reports = await this.store.exchangeConsumption(instanceId, report, new Date(now), liveSince);
    for (const [tenantId, points] of report) this.#reported.set(tenantId, points);
    if (full) this.#fullReportAt = now;
    for (const other of reports) {
      const key = `${other.instanceId}:${other.tenantId}`;
      const previous = this.#seen.get(key);
      this.#seen.set(key, other.spent);
      if (previous !== undefined) this.limiter.charge(other.tenantId, other.spent - previous);
    }
  }

  /**
   * Withdraws this instance's report of a tenant that is gone, once the exchange under way (which may
   * still carry it) is done; the limiter has forgotten the tenant, so no later exchange reports it.
   */
  async forget(tenantId: string): Promise<void> {
    await this.#running;
    this.#reported.delete(tenantId);
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

import type { ConsumptionReport, LimitsStore, TenantTotals } from '../data/limits-store.js';
import type { RateLimiter } from './rate-limiter.js';
import type { SubscriptionCaps } from './subscription-caps.js';

export interface ReconcilerOptions {
  /** This instance's name in the reports; unique per process. */
  instanceId: string;
  /** How often consumption is exchanged with the other instances. */
  intervalMs: number;
  onError: (error: unknown) => void;
}

/**
 * How often an instance reports every tenant's totals again, changed or not: a peer that started
 * meanwhile learns the totals it takes as history (see `exchange`) within this time, and a peer that
 * hears nothing of an instance for longer takes it for gone.
 */
export const FULL_REPORT_MS = 10_000;

/**
 * How long what another instance admitted is remembered after its last report read here, as long as
 * its reports are kept (their TTL): a report that shows up again within it (its exchanges failed for a
 * while) is charged in full, not taken as history.
 */
const REMEMBER_ADMITTED_MS = 60_000;

/**
 * Keeps this instance's limits in step with the other instances on the same database, off the
 * request path. Every `intervalMs` it reports per tenant what this instance admitted (for the tenant,
 * and for each of its API keys that has a bucket of its own) and how many subscriptions it holds open,
 * then deducts from its own buckets what the others admitted since their previous report and notes
 * their live subscriptions. Each bucket therefore mirrors the tenant's one
 * bucket, and each tenant's subscription count its count on every instance, late by at most one
 * interval of each other instance (docs/limits.md has the bounds this gives). The first report of
 * another instance is its history, not news: only what it admits afterwards is deducted.
 */
export class Reconciler {
  /**
   * Other instance → tenant, and API key (`key:` and its id) → the points it had admitted at its
   * latest report read here.
   */
  readonly #seen = new Map<string, Map<string, number>>();
  /** When each other instance last wrote a report read here (its clock). */
  readonly #lastHeard = new Map<string, number>();
  /** What this instance last reported per tenant, and when it last reported them all. */
  readonly #reported = new Map<string, TenantTotals>();
  #fullReportAt = Number.NEGATIVE_INFINITY;
  #exchanged = false;
  /** It had heard no other instance at its last exchange (nor before its first). */
  #alone = true;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly store: LimitsStore,
    private readonly limiter: RateLimiter,
    private readonly subscriptions: SubscriptionCaps,
    private readonly options: ReconcilerOptions,
  ) {}

  /** Starts exchanging: at once (what the others hold open is known before long), then every interval. */
  start(): void {
    this.#schedule(0);
  }

  /**
   * One exchange: report, then take in what the others reported. It reports the tenants whose totals
   * changed since its last report, and all of them every FULL_REPORT_MS: with thousands of tenants,
   * most of them quiet in any quarter second, rewriting every total at every exchange would cost the
   * database thousands of writes a second for nothing. An instance that has heard no other (`#alone`)
   * reports only the tenants whose subscriptions changed, and all of them every FULL_REPORT_MS: nobody
   * deducts its cost, and a peer that starts takes its first reports as history anyway; once it hears
   * another it reports all its tenants at once. It reads the reports written in the last few
   * intervals; the first exchange reads back over a full report's period, so that an instance that
   * starts knows the others' live subscriptions at once. A report a peer sees for the first time, or
   * after one written alone, is taken as history, not news (a peer that starts must not charge
   * another's past): one that first shows up with a change costs that peer one exchange's worth of
   * that tenant's admissions, once.
   */
  async exchange(): Promise<void> {
    const totals = this.#totals();
    const now = Date.now();
    const window = Math.max(2000, 5 * this.options.intervalMs);
    // A live instance rewrites all its reports and its presence every FULL_REPORT_MS: one not heard of
    // since `liveAfter` is taken for gone, and holds no subscription any more.
    const liveAfter = now - FULL_REPORT_MS - 2 * window;
    const alone = ![...this.#lastHeard.values()].some((heardAt) => heardAt >= liveAfter);
    const full = now - this.#fullReportAt >= FULL_REPORT_MS || (this.#alone && !alone);
    const report = full
      ? totals
      : new Map([...totals].filter(([tenantId, mine]) => this.#changed(tenantId, mine, alone)));
    const liveSince = new Date(now - (this.#exchanged ? window : FULL_REPORT_MS + window));
    const { instanceId } = this.options;
    const { reports, heard } = await this.store.exchangeConsumption(
      { instanceId, totals: report, at: new Date(now), alone, announce: full },
      liveSince,
    );
    this.#exchanged = true;
    this.#alone = alone;
    for (const [tenantId, mine] of report) this.#reported.set(tenantId, mine);
    if (full) this.#fullReportAt = now;
    for (const other of reports) {
      const seen = this.#seen.get(other.instanceId) ?? new Map<string, number>();
      this.#seen.set(other.instanceId, seen);
      this.#takeCost(seen, other);
      this.subscriptions.reported(other.instanceId, other.tenantId, other.subscriptions);
    }
    for (const [other, at] of heard) {
      this.#lastHeard.set(other, Math.max(this.#lastHeard.get(other) ?? 0, at.getTime()));
    }
    for (const [other, heardAt] of this.#lastHeard) {
      if (heardAt < liveAfter) this.subscriptions.forgetInstance(other);
      if (heardAt >= now - REMEMBER_ADMITTED_MS) continue;
      this.#lastHeard.delete(other);
      this.#seen.delete(other);
    }
  }

  /**
   * Deducts what another instance admitted since its previous report read here (`seen`: its totals
   * then). A report written alone leaves no previous report: the one after it is history.
   */
  #takeCost(seen: Map<string, number>, other: ConsumptionReport): void {
    if (other.alone) {
      seen.delete(other.tenantId);
      for (const keyId of other.keys.keys()) seen.delete(`key:${keyId}`);
      return;
    }
    const previous = seen.get(other.tenantId);
    seen.set(other.tenantId, other.spent);
    if (previous !== undefined) this.limiter.charge(other.tenantId, other.spent - previous);
    for (const [keyId, spent] of other.keys) {
      const before = seen.get(`key:${keyId}`);
      seen.set(`key:${keyId}`, spent);
      if (before !== undefined) this.limiter.chargeKey(keyId, spent - before);
    }
  }

  /** This instance's totals of every tenant it admitted operations of: cost, subscriptions, keys' cost. */
  #totals(): Map<string, TenantTotals> {
    const keys = new Map<string, Map<string, number>>();
    for (const [keyId, { tenantId, spent }] of this.limiter.spentByKey()) {
      keys.set(tenantId, (keys.get(tenantId) ?? new Map<string, number>()).set(keyId, spent));
    }
    const totals = new Map<string, TenantTotals>();
    for (const [tenantId, spent] of this.limiter.spentByTenant()) {
      const subscriptions = this.subscriptions.count(tenantId);
      totals.set(tenantId, { spent, subscriptions, keys: keys.get(tenantId) ?? new Map() });
    }
    return totals;
  }

  /** Whether a tenant's totals changed since its last report: only its subscriptions when `alone`. */
  #changed(tenantId: string, mine: TenantTotals, alone: boolean): boolean {
    const last = this.#reported.get(tenantId);
    if (alone) return (last?.subscriptions ?? 0) !== mine.subscriptions;
    return (
      last === undefined ||
      last.spent !== mine.spent ||
      last.subscriptions !== mine.subscriptions ||
      last.keys.size !== mine.keys.size ||
      [...mine.keys].some(([keyId, spent]) => last.keys.get(keyId) !== spent)
    );
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

  /**
   * Stops exchanging. When it last reported live subscriptions, a last exchange first tells the others
   * what it holds now (its connections are closed by then: none), so that they do not count them on
   * until they take this instance for gone.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    if ([...this.#reported.values()].some((reported) => reported.subscriptions > 0)) {
      await this.exchange().catch(this.options.onError);
    }
  }

  #schedule(delayMs = this.options.intervalMs): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.exchange()
        .catch(this.options.onError)
        .finally(() => this.#schedule());
    }, delayMs);
    this.#timer.unref();
  }
}

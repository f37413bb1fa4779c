import type { LimitsStore, UsageCounters, UsageDocument, UsageIncrement } from '../data/limits-store.js';

const HOUR_MS = 60 * 60 * 1000;

/** The start of the UTC hour of `at`. */
export const hourOf = (at: Date): Date => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);

/**
 * The usage ledger, per tenant and hour: counted in memory on the request path, written in batches
 * off it (one bulk write every `flushMs`, and on stop). A batch that fails is kept for the next one.
 */
export class UsageLedger {
  /** What is counted and not written yet, by hour (its start, ms) and tenant. */
  #pending = new Map<number, Map<string, UsageIncrement>>();
  /** The increment counted last, and the start of its hour (ms): most counts are of the same tenant and hour. */
  #last: { hourMs: number; increment: UsageIncrement } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: LimitsStore,
    private readonly flushMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Counts `counters` for the tenant in the hour of `at` (now). Called on every request, several
   * times: the hour is found from the clock's number, and a Date is made only for the first count of
   * a tenant in an hour.
   */
  record(tenantId: string, counters: Partial<UsageCounters>, at: number = Date.now()): void {
    const hourMs = at - (at % HOUR_MS);
    const last = this.#last;
    const pending =
      last && last.hourMs === hourMs && last.increment.tenantId === tenantId
        ? last.increment
        : this.#pendingOf(tenantId, hourMs);
    const sums = pending.counters;
    for (const name in counters) {
      const value = counters[name as keyof UsageCounters];
      if (value) sums[name as keyof UsageCounters] = (sums[name as keyof UsageCounters] ?? 0) + value;
    }
  }

  /** The increment not written yet of a tenant in an hour, made when there is none. */
  #pendingOf(tenantId: string, hourMs: number): UsageIncrement {
    let hour = this.#pending.get(hourMs);
    if (!hour) {
      hour = new Map();
      this.#pending.set(hourMs, hour);
    }
    let pending = hour.get(tenantId);
    if (!pending) {
      pending = { tenantId, hour: new Date(hourMs), counters: {} };
      hour.set(tenantId, pending);
    }
    this.#last = { hourMs, increment: pending };
    return pending;
  }

  start(): void {
    this.#timer = setInterval(() => {
      void this.flush();
    }, this.flushMs);
    this.#timer.unref();
  }

  /** Writes what was counted so far. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      const batch = [...this.#pending.values()].flatMap((hour) => [...hour.values()]);
      this.#pending = new Map();
      this.#last = null;
      try {
        await this.store.addUsage(batch);
      } catch (error) {
        for (const increment of batch) this.record(increment.tenantId, increment.counters, increment.hour.getTime());
        this.onError(error);
      }
    });
    return this.#flushing;
  }

  /** The tenant's hours from `from` to `to`, as written (what is not flushed yet is not in it). */
  read(tenantId: string, from: Date, to: Date): Promise<UsageDocument[]> {
    return this.store.usage(tenantId, hourOf(from), to);
  }

  /** Drops what is counted for a tenant that is gone, and its ledger once the write under way is done. */
  async forget(tenantId: string): Promise<void> {
    for (const hour of this.#pending.values()) hour.delete(tenantId);
    this.#last = null;
    await this.#flushing;
    await this.store.dropUsage(tenantId);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.flush();
  }
}

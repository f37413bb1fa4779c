import type { LimitsStore, UsageCounters, UsageDocument, UsageIncrement } from '../data/limits-store.js';

const HOUR_MS = 60 * 60 * 1000;

/** The start of the UTC hour of `at`. */
export const hourOf = (at: Date): Date => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);

/**
 * The usage ledger, per tenant and hour: counted in memory on the request path, written in batches
 * off it (one bulk write every `flushMs`, and on stop). A batch that fails is kept for the next one.
 */
export class UsageLedger {
  #pending = new Map<string, UsageIncrement>();
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: LimitsStore,
    private readonly flushMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Counts `counters` for the tenant in the current hour. */
  record(tenantId: string, counters: Partial<UsageCounters>, at: Date = new Date()): void {
    const hour = hourOf(at);
    const key = `${tenantId}:${hour.getTime()}`;
    const pending = this.#pending.get(key) ?? { tenantId, hour, counters: {} };
    for (const [name, value] of Object.entries(counters) as Array<[keyof UsageCounters, number]>) {
      if (value) pending.counters[name] = (pending.counters[name] ?? 0) + value;
    }
    this.#pending.set(key, pending);
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
      const batch = [...this.#pending.values()];
      this.#pending = new Map();
      try {
        await this.store.addUsage(batch);
      } catch (error) {
        for (const increment of batch) this.record(increment.tenantId, increment.counters, increment.hour);
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
    for (const [key, increment] of this.#pending) if (increment.tenantId === tenantId) this.#pending.delete(key);
    await this.#flushing;
    await this.store.dropUsage(tenantId);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.flush();
  }
}

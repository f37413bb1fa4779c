import { LRUCache } from 'lru-cache';

/**
 * A short-lived cache of identity data read on every request (users, memberships, tenants, API keys),
 * so that a busy tenant does not cost a database round trip per request. `forget` applies a change at
 * once, including over a load that was in flight when it was called; every instance calls it for every
 * committed change (IdentityDirectory.applyChange), so the TTL only bounds staleness while the identity
 * change stream is down.
 */
export class IdentityCache<V extends {}> {
  readonly #entries: LRUCache<string, V>;
  readonly #loading = new Map<string, Promise<V | null>>();
  #generation = 0;

  constructor(
    readonly ttlMs: number,
    max = 10_000,
  ) {
    this.#entries = new LRUCache<string, V>({ max, ttl: Math.max(ttlMs, 1) });
  }

  /** The cached value, or the loader's (shared by concurrent callers); misses (null) are not cached. */
  async get(key: string, load: () => Promise<V | null>): Promise<V | null> {
    if (this.ttlMs > 0) {
      const hit = this.#entries.get(key);
      if (hit !== undefined) return hit;
    }
    const pending = this.#loading.get(key);
    if (pending) return pending;
    const generation = this.#generation;
    const loading = load().finally(() => {
      if (this.#loading.get(key) === loading) this.#loading.delete(key);
    });
    this.#loading.set(key, loading);
    const value = await loading;
    if (value !== null && this.ttlMs > 0 && generation === this.#generation) this.#entries.set(key, value);
    return value;
  }

  forget(key: string): void {
    this.#generation += 1;
    this.#entries.delete(key);
    this.#loading.delete(key);
  }

  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
    this.#loading.clear();
  }
}

import { LRUCache } from 'lru-cache';

/** Apollo's KeyValueCache (@apollo/utils.keyvaluecache), declared here rather than imported from a transitive package. */
export interface DocumentCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | undefined>;
}

export interface DocumentCacheOptions {
  /** Documents kept at most. Default 10,000. */
  maxEntries?: number;
  /** Characters of keys and documents kept at most (a document is at most MAX_TOKENS tokens). Default 16 Mi. */
  maxChars?: number;
}

/**
 * The store of automatic persisted queries (register-on-miss) of front-ends: bounded in entries and in
 * size, least recently used first out, so that registering documents cannot grow the process. A TTL
 * Apollo passes is honoured. Trusted operations never land here: the persisted-query plugin serves
 * them before Apollo's APQ step (persisted-queries.ts).
 */
export function createDocumentCache({
  maxEntries = 10_000,
  maxChars = 16 * 1024 * 1024,
}: DocumentCacheOptions = {}): DocumentCache {
  const lru = new LRUCache<string, string>({
    max: maxEntries,
    maxSize: maxChars,
    sizeCalculation: (value, key) => Math.max(1, value.length + key.length),
  });
  return {
    async get(key) {
      return lru.get(key);
    },
    async set(key, value, options) {
      const ttl = options?.ttl;
      lru.set(key, value, typeof ttl === 'number' && ttl > 0 ? { ttl: ttl * 1000 } : {});
    },
    async delete(key) {
      return lru.delete(key);
    },
  };
}

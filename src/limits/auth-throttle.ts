import { LRUCache } from 'lru-cache';
import { TokenBucket, type BucketShape } from './token-bucket.js';

export interface AuthThrottleOptions {
  /** Failed attempts an address may make in a row before it is throttled. */
  burst: number;
  /** Once throttled, one more attempt is allowed every this many seconds. */
  retrySeconds: number;
}

/** Addresses remembered at most: the least recently failing are forgotten first. */
const ADDRESSES = 100_000;

/**
 * Failed authentications per client address, in memory: a bucket of `burst` attempts that refills
 * one every `retrySeconds`. While it is empty every attempt from the address is refused before its
 * credentials are looked at (no database round trip), whatever they are.
 */
export class AuthThrottle {
  readonly #shape: BucketShape;
  readonly #buckets = new LRUCache<string, TokenBucket>({ max: ADDRESSES });
  readonly #now: () => number;

  constructor(options: AuthThrottleOptions, now: () => number = Date.now) {
    this.#shape = { bucketSize: options.burst, restoreRate: 1 / options.retrySeconds };
    this.#now = now;
  }

  /** Seconds the address must wait before its next attempt; 0 when it may try now. */
  wait(address: string): number {
    const bucket = this.#buckets.get(address);
    return bucket ? bucket.secondsUntil(1, this.#shape, this.#now()) : 0;
  }

  /** Records a failed attempt of the address. */
  failed(address: string): void {
    const now = this.#now();
    let bucket = this.#buckets.get(address);
    if (!bucket) {
      bucket = new TokenBucket(this.#shape, now);
      this.#buckets.set(address, bucket);
    }
    bucket.charge(1, this.#shape, now);
  }
}

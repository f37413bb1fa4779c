import ipaddr from 'ipaddr.js';
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
 * The key an address is throttled under: an IPv4 address in its usual form (also when written
 * IPv4-mapped, `::ffff:10.0.0.1`); an IPv6 address by its /64 network, which a provider gives one
 * subscriber whole, so that one client cycling through the addresses of its network is one client.
 * What does not parse as an address is its own key.
 */
export function throttleKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const network = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${network.join(':')}::/64`;
}

/**
 * Failed authentications per client address (IPv6: per /64 network, see `throttleKey`), in memory: a bucket of `burst` attempts that refills
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
    const bucket = this.#buckets.get(throttleKey(address));
    return bucket ? bucket.secondsUntil(1, this.#shape, this.#now()) : 0;
  }

  /** Records a failed attempt of the address. */
  failed(address: string): void {
    const now = this.#now();
    const key = throttleKey(address);
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.#shape, now);
      this.#buckets.set(key, bucket);
    }
    bucket.charge(1, this.#shape, now);
  }
}

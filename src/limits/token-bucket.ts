/** How fast a bucket fills and how much it holds, in cost points. */
export interface BucketShape {
  restoreRate: number;
  bucketSize: number;
}

/**
 * A token bucket in cost points: it refills continuously at `restoreRate` a second up to
 * `bucketSize`. It may go below zero, but only through `charge` (consumption learnt from other
 * instances after the fact, at most one bucket deep): then nothing is admitted until it refilled.
 * The shape is passed on every call, so a plan change applies at once.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(shape: BucketShape, now: number) {
    this.#tokens = shape.bucketSize;
    this.#updatedAt = now;
  }

  /** The points held now. */
  level(shape: BucketShape, now: number): number {
    const elapsed = Math.max(0, now - this.#updatedAt) / 1000;
    this.#tokens = Math.min(shape.bucketSize, this.#tokens + elapsed * shape.restoreRate);
    this.#updatedAt = Math.max(this.#updatedAt, now);
    return this.#tokens;
  }

  /** Whether `cost` points are held now (nothing is taken). */
  holds(cost: number, shape: BucketShape, now: number): boolean {
    return this.level(shape, now) >= cost;
  }

  /** Takes `cost` points, which the caller checked are held. */
  take(cost: number): void {
    this.#tokens -= cost;
  }

  /** Gives points back (a refund), never above the bucket's size. */
  give(points: number, shape: BucketShape): void {
    this.#tokens = Math.min(shape.bucketSize, this.#tokens + points);
  }

  /** Takes points spent elsewhere; the bucket owes at most one bucket. */
  charge(points: number, shape: BucketShape, now: number): void {
    this.#tokens = Math.max(-shape.bucketSize, this.level(shape, now) - points);
  }

  /** Seconds until `cost` points are held (0 when they are now). */
  secondsUntil(cost: number, shape: BucketShape, now: number): number {
    const missing = Math.min(cost, shape.bucketSize) - this.level(shape, now);
    return missing <= 0 ? 0 : missing / shape.restoreRate;
  }
}

import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Above this share of a window spent running JavaScript, the event loop is the bottleneck. */
export const BUSY_UTILIZATION = 0.9;
/** Below this share, operations that wait for a place are waiting on something else (the database). */
export const IDLE_UTILIZATION = 0.7;

/**
 * How many operations may execute at once on this instance, adapted to what they wait on. The fair
 * queue exists because executing operations share one event loop; an operation that waits on a remote
 * database does not use it meanwhile, so a fixed number of places would let a few slow database
 * answers hold every place while the loop idles, and hold a newcomer tenant behind them. After each
 * window: when operations waited for a place while the loop was mostly idle, one `floor` more places
 * (up to `ceiling`); when the loop was busy, half as many (down to `floor`), so that under CPU
 * contention the places, and each tenant's share of them, are back to the fixed number at once.
 * Additive increase, multiplicative decrease, as TCP's congestion window.
 */
export class ExecutionPlaces {
  readonly floor: number;
  readonly ceiling: number;
  #places: number;

  constructor(floor: number, ceiling: number) {
    this.floor = floor;
    this.ceiling = Math.max(floor, ceiling);
    this.#places = floor;
  }

  get current(): number {
    return this.#places;
  }

  /**
   * The places for the next window, from the last one: the event loop's `utilization` over it (0 to 1)
   * and whether any operation had to wait for a place during it.
   */
  next(utilization: number, waited: boolean): number {
    if (utilization >= BUSY_UTILIZATION) this.#places = Math.max(this.floor, Math.floor(this.#places / 2));
    else if (waited && utilization < IDLE_UTILIZATION) this.#places = Math.min(this.ceiling, this.#places + this.floor);
    return this.#places;
  }
}

/**
 * Measures the event loop every `windowMs` and hands `adjust` its utilization over that window. The
 * timer does not keep the process alive. Returns the function that stops it.
 */
export function sampleEventLoop(windowMs: number, adjust: (utilization: number) => void): () => void {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    adjust(performance.eventLoopUtilization(now, last).utilization);
    last = now;
  }, windowMs);
  timer.unref();
  return () => clearInterval(timer);
}

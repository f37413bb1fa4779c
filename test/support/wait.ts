import { setTimeout as delay } from 'node:timers/promises';

/** Polls until `check` holds, failing with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/**
 * Waits `ms` for something that must NOT happen (a stray delivery, a late write) to show itself. Only
 * for asserting an absence: anything that does happen is awaited with `until` or an event instead.
 */
export const quietFor = (ms: number): Promise<void> => delay(ms);

import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../src/limits/fair-queue.js';

/** The scheduling rules of fair admission of execution, on the queue itself (no server). */
describe('FairQueue', () => {
  it('lets a tenant alone use every place, then makes it wait', () => {
    const queue = new FairQueue(3);
    expect([queue.enter('a'), queue.enter('a'), queue.enter('a')]).toEqual([undefined, undefined, undefined]);
    expect(queue.enter('a')).toBeInstanceOf(Promise);
    expect(queue.load('a')).toEqual({ executing: 3, waiting: 1 });
  });

  it('gives freed places to the waiting tenants in turn, not to the one with the most waiting', async () => {
    const queue = new FairQueue(2);
    queue.enter('a');
    queue.enter('a');
    const started: string[] = [];
    const waiting = [
      ...['a', 'a', 'a'].map((tenant) => queue.enter(tenant)!.then(() => started.push(tenant))),
      queue.enter('b')!.then(() => started.push('b')),
    ];
    // Two tenants are active: each holds at most one place. a holds two, so b takes the first freed.
    queue.leave('a');
    await Promise.resolve();
    expect(started).toEqual(['b']);
    expect(queue.load('a')).toEqual({ executing: 1, waiting: 3 });
    queue.leave('a');
    queue.leave('b');
    await Promise.all(waiting.slice(0, 2));
    expect(started).toEqual(['b', 'a', 'a']);
  });

  it('frees a tenant that has nothing left, so that the others share its places', () => {
    const queue = new FairQueue(2);
    queue.enter('a');
    queue.enter('b');
    expect(queue.enter('b')).toBeInstanceOf(Promise);
    queue.leave('a');
    expect(queue.load('a')).toEqual({ executing: 0, waiting: 0 });
    expect(queue.load('b')).toEqual({ executing: 2, waiting: 0 });
  });
});

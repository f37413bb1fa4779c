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

  it("shares the places in proportion to the tenants' weights", async () => {
    const queue = new FairQueue(5);
    const started: string[] = [];
    const waiting: Array<Promise<unknown>> = [];
    const enter = (tenant: string, weight: number) => {
      const turn = queue.enter(tenant, weight);
      if (turn === undefined) started.push(tenant);
      else waiting.push(turn.then(() => started.push(tenant)));
    };
    // The light tenant came first and took every place; both then keep work waiting.
    for (let i = 0; i < 5; i += 1) enter('light', 1);
    for (let i = 0; i < 10; i += 1) enter('heavy', 4);
    for (let i = 0; i < 10; i += 1) enter('light', 1);
    // Weights 4 and 1 of 5 places: as the light tenant's places free, they go to the heavy one until it holds 4.
    for (let i = 0; i < 4; i += 1) queue.leave('light');
    await Promise.resolve();
    expect(queue.load('heavy').executing).toBe(4);
    expect(queue.load('light').executing).toBe(1);
    // From then on each keeps its share: a freed place goes back to the tenant that freed it.
    queue.leave('heavy');
    queue.leave('light');
    await Promise.resolve();
    expect([queue.load('heavy').executing, queue.load('light').executing]).toEqual([4, 1]);
  });

  it('still gives a place to a tenant whose weight is a small part of the total', async () => {
    const queue = new FairQueue(4);
    for (let i = 0; i < 4; i += 1) queue.enter('heavy', 100);
    const heavyWaiting = queue.enter('heavy', 100)!;
    const lightTurn = queue.enter('light', 1)!;
    let lightStarted = false;
    void lightTurn.then(() => {
      lightStarted = true;
    });
    // 4 × 1 ÷ 101 is less than one place: it gets one all the same, the first that frees.
    queue.leave('heavy');
    await Promise.resolve();
    expect(lightStarted).toBe(true);
    expect(queue.load('heavy')).toEqual({ executing: 3, waiting: 1 });
    queue.leave('light');
    await heavyWaiting;
    expect(queue.load('heavy').executing).toBe(4);
  });

  it('gives a freed place to the waiting tenant furthest below its weighted share', async () => {
    const queue = new FairQueue(6);
    // a (weight 2) holds 4, b (weight 1) holds 2: both at their share of 6 (4 and 2).
    for (let i = 0; i < 4; i += 1) queue.enter('a', 2);
    for (let i = 0; i < 2; i += 1) queue.enter('b', 1);
    const started: string[] = [];
    const a = queue.enter('a', 2)!.then(() => started.push('a'));
    const b = queue.enter('b', 1)!.then(() => started.push('b'));
    // a third tenant (weight 3) arrives: shares become 2, 1 and 3 of 6.
    const c = [0, 1, 2].map(() => queue.enter('c', 3)!.then(() => started.push('c')));
    // a and b are over their new shares: the places they free go to c, the one furthest below its share.
    queue.leave('a');
    queue.leave('a');
    queue.leave('b');
    await Promise.all(c);
    expect(started).toEqual(['c', 'c', 'c']);
    expect(queue.load('a')).toEqual({ executing: 2, waiting: 1 });
    expect(queue.load('b')).toEqual({ executing: 1, waiting: 1 });
    // Once c holds its share, a freed place of a goes back to a, one of b to b.
    queue.leave('a');
    queue.leave('b');
    await Promise.all([a, b]);
    expect(started).toEqual(['c', 'c', 'c', 'a', 'b']);
  });

  it('gives added places to the waiting at once, and takes removed ones back as operations leave', async () => {
    const queue = new FairQueue(1);
    queue.enter('a');
    const started: string[] = [];
    const waiting = [queue.enter('a')!.then(() => started.push('a')), queue.enter('b')!.then(() => started.push('b'))];
    expect(queue.tookWaits()).toBe(true);
    queue.resize(3);
    await Promise.all(waiting);
    expect(started.sort()).toEqual(['a', 'b']);
    queue.resize(1);
    expect(queue.enter('c')).toBeInstanceOf(Promise);
    queue.leave('a');
    queue.leave('a');
    expect(queue.load('c')).toEqual({ executing: 0, waiting: 1 });
    queue.leave('b');
    expect(queue.load('c')).toEqual({ executing: 1, waiting: 0 });
  });

  it('says whether anything waited since it was last asked', () => {
    const queue = new FairQueue(1);
    queue.enter('a');
    expect(queue.tookWaits()).toBe(false);
    const waiting = queue.enter('a');
    expect(queue.tookWaits()).toBe(true);
    queue.leave('a');
    expect(queue.tookWaits()).toBe(false);
    return waiting;
  });
});

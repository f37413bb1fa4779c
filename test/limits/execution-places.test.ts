import { describe, expect, it } from 'vitest';
import { ExecutionPlaces } from '../../src/limits/execution-places.js';

/** The number of execution places, adapted to how busy the event loop was while operations waited. */
describe('ExecutionPlaces', () => {
  it('starts at the floor and stays there while nothing waits', () => {
    const places = new ExecutionPlaces(8, 64);
    expect(places.current).toBe(8);
    expect(places.next(0.1, false)).toBe(8);
  });

  it('adds a floor of places per window while operations wait and the loop idles, up to the ceiling', () => {
    const places = new ExecutionPlaces(8, 30);
    expect([1, 2, 3, 4].map(() => places.next(0.2, true))).toEqual([16, 24, 30, 30]);
  });

  it('keeps the places when operations wait on a loop that is neither idle nor busy', () => {
    const places = new ExecutionPlaces(8, 64);
    places.next(0.2, true);
    expect(places.next(0.8, true)).toBe(16);
  });

  it('halves the places when the loop is busy, down to the floor, whether or not anything waits', () => {
    const places = new ExecutionPlaces(4, 64);
    for (let window = 0; window < 7; window += 1) places.next(0, true);
    expect(places.current).toBe(32);
    expect([0.95, 0.95, 1, 1, 1].map((busy, i) => places.next(busy, i % 2 === 0))).toEqual([16, 8, 4, 4, 4]);
  });

  it('never goes below its floor, even with a ceiling under it', () => {
    const places = new ExecutionPlaces(8, 2);
    expect(places.ceiling).toBe(8);
    expect(places.next(0, true)).toBe(8);
  });
});

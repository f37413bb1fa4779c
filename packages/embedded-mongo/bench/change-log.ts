import { performance } from 'node:perf_hooks';
import { Timestamp } from 'bson';
import { ChangeLog } from '../src/change-streams/change-log.js';
import type { ChangeHistoryWindow } from '../src/change-streams/change-log.js';

/** Events kept by the full window, and events appended in each measured round. */
const WINDOW = 100_000;
const APPENDS = 200_000;
const ROUNDS = 5;

/** Milliseconds to append APPENDS events to a log that already holds WINDOW of them. */
function appendTime(window: ChangeHistoryWindow): number {
  const log = new ChangeLog(window);
  let i = 0;
  const append = () => {
    i += 1;
    log.append({ clusterTime: new Timestamp({ t: 1, i }), wallTime: new Date(), sequence: i }, [
      { kind: 'insert', db: 'bench', coll: 'events', before: null, after: { _id: i } },
    ]);
  };
  while (i < WINDOW) append();
  const start = performance.now();
  while (i < WINDOW + APPENDS) append();
  return performance.now() - start;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

/**
 * Appends at a full change-history window (every append trims the oldest event) against appends to
 * a log that never trims: what keeping the window bounded costs.
 */
export async function run(): Promise<void> {
  const trimming: number[] = [];
  const growing: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    trimming.push(appendTime({ maxEvents: WINDOW }));
    growing.push(appendTime({ maxEvents: Number.POSITIVE_INFINITY }));
  }
  console.log(
    `  ${APPENDS / 1000}k appends at a full window of ${WINDOW / 1000}k: ${median(trimming).toFixed(0)} ms; without trimming: ${median(growing).toFixed(0)} ms; trimming/growing ${(median(trimming) / median(growing)).toFixed(2)}x (medians of ${ROUNDS} alternating rounds)`,
  );
}

import { Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { ChangeLog, parseResumeToken, resumeToken } from '../src/change-streams/change-log.js';

function tick(i: number): { clusterTime: Timestamp; wallTime: Date; sequence: number } {
  return { clusterTime: new Timestamp({ t: 100, i }), wallTime: new Date(), sequence: i };
}

describe('the change log', () => {
  it('round-trips resume tokens and rejects malformed ones', () => {
    const position = { t: 1_700_000_000, i: 42, index: 3 };
    expect(parseResumeToken(resumeToken(position))).toEqual(position);
    expect(() => parseResumeToken({ _data: 'zz' })).toThrow(expect.objectContaining({ code: 2 }));
  });

  it('fails with ChangeStreamHistoryLost for positions older than what it keeps', () => {
    const log = new ChangeLog(10);
    for (let i = 1; i <= 30; i++)
      log.append(tick(i), [{ kind: 'insert', db: 'd', coll: 'c', before: null, after: { _id: i } }]);
    expect(log.length).toBeLessThanOrEqual(11);
    expect(() => log.indexAfter({ t: 100, i: 1, index: 0 })).toThrow(expect.objectContaining({ code: 286 }));
    const latest = log.indexAfter({ t: 100, i: 29, index: 0 });
    expect(log.at(latest)?.after).toEqual({ _id: 30 });
  });

  it('wakes a waiting reader on append rather than at its timeout', async () => {
    const log = new ChangeLog();
    const started = Date.now();
    const waiting = log.waitForAppend(5000, new AbortController().signal);
    setTimeout(() => log.append(tick(1), []), 20);
    await waiting;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

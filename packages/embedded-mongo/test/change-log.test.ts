import { Timestamp } from 'bson';
import { MongoClient, MongoServerError } from 'mongodb';
import type { Document, ResumeToken } from 'mongodb';
import { describe, expect, it, vi } from 'vitest';
import { ChangeLog, parseResumeToken, resumeToken } from '../src/change-streams/change-log.js';
import { startEmbeddedMongo } from '../src/index.js';
import { embedded } from './harness.js';

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
    const log = new ChangeLog({ maxEvents: 10 });
    for (let i = 1; i <= 30; i++)
      log.append(tick(i), [{ kind: 'insert', db: 'd', coll: 'c', before: null, after: { _id: i } }]);
    expect(log.length).toBe(10);
    expect(() => log.indexAfter({ t: 100, i: 1, index: 0 })).toThrow(expect.objectContaining({ code: 286 }));
    const latest = log.indexAfter({ t: 100, i: 29, index: 0 });
    expect(log.at(latest)?.after).toEqual({ _id: 30 });
  });

  it('keeps the newest maxEvents in order across its chunks, however many were trimmed', () => {
    const log = new ChangeLog({ maxEvents: 5000 });
    for (let i = 1; i <= 20_000; i++)
      log.append(tick(i), [{ kind: 'insert', db: 'd', coll: 'c', before: null, after: { _id: i } }]);
    expect(log.length).toBe(5000);
    expect(log.at(0)?.after).toEqual({ _id: 15_001 });
    expect(log.at(4999)?.after).toEqual({ _id: 20_000 });
    expect(log.at(5000)).toBeUndefined();
    expect(log.indexAfter({ t: 100, i: 17_000, index: 0 })).toBe(2000);
    expect(() => log.indexAfter({ t: 100, i: 14_999, index: 0 })).toThrow(expect.objectContaining({ code: 286 }));
    expect(log.retained().entries.map((entry) => entry.after?._id)).toEqual(
      Array.from({ length: 5000 }, (_, k) => 15_001 + k),
    );
  });

  it('drops events older than maxAgeSeconds as new ones arrive', () => {
    const log = new ChangeLog({ maxAgeSeconds: 60 });
    log.append(tick(1), [{ kind: 'insert', db: 'd', coll: 'c', before: null, after: { _id: 1 } }]);
    const realNow = Date.now;
    const later = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 61_000);
    try {
      log.append({ ...tick(2), wallTime: new Date(Date.now()) }, [
        { kind: 'insert', db: 'd', coll: 'c', before: null, after: { _id: 2 } },
      ]);
    } finally {
      later.mockRestore();
    }
    expect(log.length).toBe(1);
    expect(log.at(0)?.after).toEqual({ _id: 2 });
    expect(() => log.indexAfter({ t: 100, i: 0, index: 0 })).toThrow(expect.objectContaining({ code: 286 }));
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

describe.skipIf(!embedded)('resuming from before the change history window', () => {
  it('fails with ChangeStreamHistoryLost, labelled NonResumableChangeStreamError, and resumes inside it', async () => {
    const server = await startEmbeddedMongo({ changeHistory: { maxEvents: 5 } });
    const client = await MongoClient.connect(server.uri);
    try {
      const coll = client.db('window').collection<Document & { _id: number }>('events');
      const stream = coll.watch([], { maxAwaitTimeMS: 200 });
      expect(await stream.tryNext()).toBeNull();
      const before = stream.resumeToken as ResumeToken;
      const { operationTime } = await client.db('window').command({ ping: 1 });
      const seen: ResumeToken[] = [];
      for (let n = 1; n <= 10; n++) {
        await coll.insertOne({ _id: n });
        seen.push(((await stream.next()) as Document)._id);
      }
      await stream.close();

      for (const options of [{ resumeAfter: before }, { startAtOperationTime: operationTime }]) {
        const error = await coll
          .watch([], options)
          .next()
          .catch((reason: unknown) => reason);
        expect(error).toBeInstanceOf(MongoServerError);
        expect((error as MongoServerError).code).toBe(286);
        expect((error as MongoServerError).hasErrorLabel('NonResumableChangeStreamError')).toBe(true);
      }
      const resumed = coll.watch([], { resumeAfter: seen[6] });
      const next = [(await resumed.next()) as Document, (await resumed.next()) as Document];
      await resumed.close();
      expect(next.map((event) => event.documentKey._id)).toEqual([8, 9]);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});

import type { Document } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openChangeStream, type ResumableChangeStream } from '../../src/data/change-stream.js';
import { newId } from '../../src/data/ids.js';
import { startTestDatabase, type TestDatabase } from '../support/database.js';

/** The one change-stream primitive (src/data/change-stream.ts), against the test server through the driver. */
let fixture: TestDatabase;
const open: ResumableChangeStream[] = [];

beforeAll(async () => {
  fixture = await startTestDatabase();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((stream) => stream.close()));
});
afterAll(() => fixture?.stop());

const INSERTS = [{ $match: { operationType: 'insert' } }];
const parks = () => fixture.database.forTenant(tenantId).collection('parks');
const tenantId = newId();
const insert = async (name: string) => (await parks().insertOne({ name }))._id;

/** Records what a stream reports; `until` resolves when a condition holds, without polling. */
function recorder() {
  const names: string[] = [];
  const errors: Array<{ error: unknown; retryMs: number }> = [];
  let gaps = 0;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  return {
    names,
    errors,
    gaps: () => gaps,
    handlers: {
      onChange: (change: Document) => {
        names.push(String(change.fullDocument?.name));
        notify();
      },
      onGap: () => {
        gaps += 1;
      },
      onError: (error: unknown, retryMs: number) => {
        errors.push({ error, retryMs });
        notify();
      },
    },
    notify,
    until: (done: () => boolean, what: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${names}`)), 5000);
        const check = () => {
          if (!done()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
  };
}

async function watch(
  handlers: ReturnType<typeof recorder>['handlers'],
  settings: Parameters<typeof openChangeStream>[3] = {},
  pipeline: Document[] = INSERTS,
) {
  const stream = await openChangeStream(
    { uri: fixture.mongo.uri, dbName: fixture.dbName, collection: 'parks' },
    pipeline,
    handlers,
    settings,
  );
  open.push(stream);
  return stream;
}

describe('openChangeStream', () => {
  it('reports what is committed once it resolved, in order; resumes after its token with no loss and no duplicate', async () => {
    await insert('before');
    const first = recorder();
    const stream = await watch(first.handlers);
    await insert('a');
    await insert('b');
    await first.until(() => first.names.length === 2, 'a and b');
    await stream.close();
    // Read once closed: while a handler runs, the token is still the one before its change.
    const token = stream.resumeToken;
    await insert('c');
    await insert('d');
    const second = recorder();
    await watch(second.handlers, { after: token });
    await second.until(() => second.names.length === 2, 'c and d');
    expect(first.names).toEqual(['a', 'b']);
    expect(second.names).toEqual(['c', 'd']);
    expect(second.gaps()).toBe(0);
  });

  it('waits for a handler’s promise before the next change: a slow consumer holds the stream back', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen = recorder();
    const handlers = {
      ...seen.handlers,
      onChange: async (change: Document) => {
        seen.handlers.onChange(change);
        if (seen.names.length === 1) await gate;
      },
    };
    const stream = await watch(handlers);
    await insert('held');
    await insert('next');
    await seen.until(() => seen.names.length === 1, 'the first change');
    const tokenWhileHeld = stream.resumeToken;
    // The second change is committed; a third commit proves the stream read on, yet nothing moved.
    await insert('third');
    expect(seen.names).toEqual(['held']);
    expect(stream.resumeToken).toEqual(tokenWhileHeld);
    release();
    await seen.until(() => seen.names.length === 3, 'the rest');
    expect(seen.names).toEqual(['held', 'next', 'third']);
  });

  it('reports a handler that throws, and goes on with the next change', async () => {
    const seen = recorder();
    const handlers = {
      ...seen.handlers,
      onChange: (change: Document) => {
        seen.handlers.onChange(change);
        if (change.fullDocument?.name === 'bad') throw new Error('handler failed');
      },
    };
    await watch(handlers);
    await insert('bad');
    await insert('good');
    await seen.until(() => seen.names.length === 2, 'both changes');
    expect(seen.errors.map(({ error, retryMs }) => [(error as Error).message, retryMs])).toEqual([
      ['handler failed', 0],
    ]);
  });

  it('reopens a stream that failed after a delay that doubles with each failure in a row, up to the maximum', async () => {
    const seen = recorder();
    // A pipeline that fails on one document: every reopen from before it fails again.
    const poisoned = [...INSERTS, { $addFields: { n: { $toInt: '$fullDocument.name' } } }];
    await watch(seen.handlers, { firstRetryMs: 20, maxRetryMs: 80 }, poisoned);
    await insert('1');
    await seen.until(() => seen.names.length === 1, 'the first change');
    await insert('not a number');
    await seen.until(() => seen.errors.length >= 4, 'four failures');
    expect(seen.errors.slice(0, 4).map(({ retryMs }) => retryMs)).toEqual([20, 40, 80, 80]);
    expect(seen.names).toEqual(['1']);
    expect(seen.gaps()).toBe(0);
  });

  it('close() returns promptly while a getMore waits, and nothing is reported afterwards', async () => {
    const closed = recorder();
    const running = recorder();
    const stream = await watch(closed.handlers);
    await watch(running.handlers);
    const started = Date.now();
    await stream.close();
    expect(Date.now() - started).toBeLessThan(500);
    await insert('after close');
    await running.until(() => running.names.length === 1, 'the running stream to see it');
    expect(closed.names).toEqual([]);
  });
});

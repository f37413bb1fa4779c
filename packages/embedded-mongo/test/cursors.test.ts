import type { CommandStartedEvent } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useMongo } from './harness.js';

const mongo = useMongo({ monitorCommands: true });

function recordCommands(): { names: string[]; stop(): void } {
  const names: string[] = [];
  const listener = (event: CommandStartedEvent): void => {
    names.push(event.commandName);
  };
  mongo.client.on('commandStarted', listener);
  return { names, stop: () => mongo.client.off('commandStarted', listener) };
}

describe('cursors', () => {
  it('serves more documents than a batch through getMore', async () => {
    const numbers = mongo.db.collection('cursor_numbers');
    await numbers.insertMany(Array.from({ length: 250 }, (_, n) => ({ n })));
    const commands = recordCommands();
    const all = await numbers.find({}, { batchSize: 50 }).sort({ n: 1 }).toArray();
    commands.stop();
    expect(all.map((doc) => doc.n)).toEqual(Array.from({ length: 250 }, (_, n) => n));
    expect(commands.names.filter((name) => name === 'find')).toHaveLength(1);
    // A real server may need one more (empty) getMore to discover the end.
    expect(commands.names.filter((name) => name === 'getMore').length).toBeGreaterThanOrEqual(4);
  });

  it('uses a first batch of 101 by default', async () => {
    const numbers = mongo.db.collection('cursor_numbers');
    const cursor = numbers.find({});
    await cursor.hasNext();
    expect(cursor.bufferedCount()).toBe(101);
    await cursor.close();
  });

  it('pages aggregate results the same way', async () => {
    const numbers = mongo.db.collection('cursor_numbers');
    const commands = recordCommands();
    const evens = await numbers
      .aggregate([{ $match: { n: { $mod: [2, 0] } } }, { $sort: { n: -1 } }], { batchSize: 40 })
      .toArray();
    commands.stop();
    expect(evens).toHaveLength(125);
    expect(evens[0]?.n).toBe(248);
    expect(commands.names.filter((name) => name === 'getMore').length).toBeGreaterThanOrEqual(3);
  });

  it('kills a cursor closed early, after which getMore fails with CursorNotFound', async () => {
    const numbers = mongo.db.collection('cursor_numbers');
    const commands = recordCommands();
    const cursor = numbers.find({}, { batchSize: 10 });
    await cursor.next();
    const id = cursor.id;
    await cursor.close();
    commands.stop();
    expect(commands.names).toContain('killCursors');
    expect(id).toBeDefined();
    await expect(mongo.db.command({ getMore: id, collection: 'cursor_numbers' })).rejects.toMatchObject({ code: 43 });
  });

  it('splits batches by size so that no reply exceeds the 16 MB BSON limit', async () => {
    const blobs = mongo.db.collection('cursor_blobs');
    const payload = 'x'.repeat(7 * 1024 * 1024);
    await blobs.insertMany([
      { i: 0, payload },
      { i: 1, payload },
      { i: 2, payload },
    ]);
    const commands = recordCommands();
    const all = await blobs.find({}, { projection: { i: 1 } }).toArray();
    const full = await blobs.find({}).toArray();
    commands.stop();
    expect(all.map((doc) => doc.i)).toEqual([0, 1, 2]);
    expect(full.map((doc) => doc.payload.length)).toEqual([payload.length, payload.length, payload.length]);
    expect(commands.names.filter((name) => name === 'getMore').length).toBeGreaterThanOrEqual(1);
  });

  it('returns a single batch when asked to', async () => {
    const numbers = mongo.db.collection('cursor_numbers');
    const commands = recordCommands();
    const limited = await numbers.find({}).limit(-5).toArray();
    commands.stop();
    expect(limited).toHaveLength(5);
    expect(commands.names).not.toContain('getMore');
  });
});

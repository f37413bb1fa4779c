import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { embedded, useMongo } from './harness.js';

const mongo = useMongo();

describe('errors are MongoDB-shaped', () => {
  it('answers an unknown command with CommandNotFound naming it', async () => {
    await expect(mongo.db.command({ fooBar: 1 })).rejects.toMatchObject({
      code: 59,
      codeName: 'CommandNotFound',
      message: expect.stringContaining('fooBar'),
    });
  });

  it('rejects an unknown query operator', async () => {
    await expect(
      mongo.db
        .collection('errors_q')
        .find({ a: { $nope: 1 } })
        .toArray(),
    ).rejects.toMatchObject({
      code: 2,
      message: expect.stringContaining('$nope'),
    });
  });

  it('rejects an unknown update operator', async () => {
    const coll = mongo.db.collection('errors_u');
    await coll.insertOne({ a: 1 });
    await expect(coll.updateOne({}, { $frobnicate: { a: 1 } } as never)).rejects.toMatchObject({
      code: 9,
      message: expect.stringContaining('$frobnicate'),
    });
  });

  it('rejects an unknown aggregation stage with 40324', async () => {
    await expect(
      mongo.db
        .collection('errors_a')
        .aggregate([{ $teleport: {} }])
        .toArray(),
    ).rejects.toMatchObject({
      code: 40324,
      message: expect.stringContaining('$teleport'),
    });
  });

  it('rejects an unknown expression operator', async () => {
    const coll = mongo.db.collection('errors_e');
    await coll.insertOne({ a: 1 });
    await expect(coll.aggregate([{ $project: { b: { $levitate: '$a' } } }]).toArray()).rejects.toMatchObject({
      code: 168,
      message: expect.stringContaining('$levitate'),
    });
  });

  it.skipIf(!embedded)('refuses a $merge it cannot honour rather than merging differently', async () => {
    await expect(
      mongo.db
        .collection('errors_a')
        .aggregate([{ $merge: { into: 'elsewhere', on: 'slug' } }])
        .toArray(),
    ).rejects.toMatchObject({
      code: 115,
      message: expect.stringContaining('$merge'),
    });
    expect(await mongo.db.listCollections({ name: 'elsewhere' }).toArray()).toEqual([]);
  });

  it.skipIf(!embedded)('survives garbage on a socket and keeps serving other clients', async () => {
    const { port } = new URL(mongo.mongo.uri);
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        const header = Buffer.alloc(16);
        header.writeInt32LE(3, 0);
        socket.write(header);
      });
      socket.on('close', () => resolve(true));
      socket.on('error', () => resolve(true));
    });
    expect(closed).toBe(true);
    await expect(mongo.db.command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
  });
});

import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EJSON } from 'bson';
import { Double, Int32, Long, MongoClient } from 'mongodb';
import type { Document, ResumeToken } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IN_MEMORY, runningServerUri, startEmbeddedMongo } from '../src/index.js';
import type { EmbeddedMongo, EmbeddedMongoOptions } from '../src/index.js';

/** Documents of any shape, with a string or number _id. */
type AnyDoc = Document & { _id: string | number };

interface Park {
  _id: number;
  name: string;
  slug?: string;
  visitors?: number;
  tags?: string[];
  a?: { b: number };
}

let dir: string;
const running: EmbeddedMongo[] = [];
const clients: MongoClient[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'embedded-durability-'));
});

afterEach(async () => {
  vi.restoreAllMocks();
  for (const client of clients.splice(0)) await client.close();
  for (const server of running.splice(0)) await server.stop();
  await rm(dir, { recursive: true, force: true });
});

async function start(options: EmbeddedMongoOptions = {}): Promise<{ server: EmbeddedMongo; client: MongoClient }> {
  const server = await startEmbeddedMongo({ dir, ...options });
  running.push(server);
  const client = await MongoClient.connect(server.uri);
  clients.push(client);
  return { server, client };
}

async function stop(server: EmbeddedMongo, client: MongoClient): Promise<void> {
  await client.close();
  clients.splice(clients.indexOf(client), 1);
  await server.stop();
  running.splice(running.indexOf(server), 1);
}

async function journalFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith('journal-')).sort();
}

describe('durability in a data directory', () => {
  it('keeps documents, indexes, validators and drops across a restart', async () => {
    const first = await start();
    const db = first.client.db('app');
    await db.createCollection('parks', { validator: { name: { $type: 'string' } } });
    await db.collection<AnyDoc>('parks').createIndex({ slug: 1 }, { unique: true, name: 'slug_unique' });
    const parks = db.collection<Park>('parks');
    await parks.insertMany([
      { _id: 1, name: 'Yosemite', slug: 'yosemite', visitors: 3.5 },
      { _id: 2, name: 'Zion', slug: 'zion', tags: ['utah'] },
      { _id: 3, name: 'Arches', slug: 'arches' },
    ]);
    await parks.updateOne({ _id: 2 }, { $push: { tags: 'canyon' }, $set: { 'a.b': 1 } });
    await parks.deleteOne({ _id: 3 });
    await db.collection<AnyDoc>('scratch').insertOne({ _id: 1, gone: true });
    await db.collection<AnyDoc>('scratch').drop();
    await stop(first.server, first.client);

    const second = await start();
    const reopened = second.client.db('app').collection<Park>('parks');
    expect(await reopened.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, name: 'Yosemite', slug: 'yosemite', visitors: 3.5 },
      { _id: 2, name: 'Zion', slug: 'zion', tags: ['utah', 'canyon'], a: { b: 1 } },
    ]);
    expect((await reopened.indexes()).map((index) => index.name)).toEqual(['_id_', 'slug_unique']);
    await expect(reopened.insertOne({ _id: 4, name: 'Other', slug: 'zion' })).rejects.toMatchObject({ code: 11000 });
    await expect(reopened.insertOne({ _id: 5, name: 42 as unknown as string })).rejects.toMatchObject({ code: 121 });
    expect(
      await second.client
        .db('app')
        .listCollections()
        .map((c) => c.name)
        .toArray(),
    ).toEqual(['parks']);
  });

  it('keeps a committed transaction whole and an aborted one not at all', async () => {
    const first = await start();
    const accounts = first.client.db('bank').collection<AnyDoc>('accounts');
    await accounts.insertMany([
      { _id: 'a', balance: 100 },
      { _id: 'b', balance: 0 },
    ]);
    const session = first.client.startSession();
    await session.withTransaction(async () => {
      await accounts.updateOne({ _id: 'a' }, { $inc: { balance: -30 } }, { session });
      await accounts.updateOne({ _id: 'b' }, { $inc: { balance: 30 } }, { session });
    });
    session.startTransaction();
    await accounts.updateOne({ _id: 'a' }, { $inc: { balance: -1000 } }, { session });
    await session.abortTransaction();
    await session.endSession();
    await stop(first.server, first.client);

    const second = await start();
    const after = second.client.db('bank').collection<AnyDoc>('accounts');
    expect(await after.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'a', balance: 70 },
      { _id: 'b', balance: 30 },
    ]);
  });

  it('keeps a collection and its index created inside a committed transaction, as one record', async () => {
    const first = await start();
    const session = first.client.startSession();
    await session.withTransaction(async () => {
      await first.client.db('app').createCollection('made_in_txn', { session });
      await first.client.db('app').collection('made_in_txn').createIndex({ k: 1 }, { unique: true, session });
      await first.client.db('app').collection<AnyDoc>('made_in_txn').insertOne({ _id: 1, k: 'a' }, { session });
    });
    await session.endSession();
    await stop(first.server, first.client);

    const second = await start();
    const coll = second.client.db('app').collection<AnyDoc>('made_in_txn');
    expect(second.server.recovery?.replayedRecords).toBe(1);
    expect(await coll.find().toArray()).toEqual([{ _id: 1, k: 'a' }]);
    await expect(coll.insertOne({ _id: 2, k: 'a' })).rejects.toMatchObject({ code: 11000 });
  });

  it('resumes a change stream after a restart from a token taken before it', async () => {
    const first = await start();
    const events = first.client.db('feed').collection<AnyDoc>('events');
    const stream = events.watch([], { maxAwaitTimeMS: 200 });
    // The driver opens the stream on the first read: open it before writing.
    expect(await stream.tryNext()).toBeNull();
    await events.insertOne({ _id: 1 });
    const seen = await stream.next();
    const token = stream.resumeToken as ResumeToken;
    expect(seen).toMatchObject({ operationType: 'insert', documentKey: { _id: 1 } });
    await events.insertOne({ _id: 2 });
    await events.updateOne({ _id: 2 }, { $set: { x: 1 } });
    await stream.close();
    await stop(first.server, first.client);

    // Restarted in a later second than the writes (as a restart usually is): their replayed events
    // keep the cluster times the token refers to.
    const realNow = Date.now;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 5_000);
    const second = await start();
    const again = second.client.db('feed').collection<AnyDoc>('events');
    const resumed = again.watch([], { resumeAfter: token });
    await again.insertOne({ _id: 3 });
    const next = [await resumed.next(), await resumed.next(), await resumed.next()];
    expect(next.map((event) => [event.operationType, (event as { documentKey: Document }).documentKey._id])).toEqual([
      ['insert', 2],
      ['update', 2],
      ['insert', 3],
    ]);
    expect(next[1]).toMatchObject({ updateDescription: { updatedFields: { x: 1 } } });
    await resumed.close();
  });

  it.each<[string, EmbeddedMongoOptions]>([
    ['the journal', {}],
    ['a snapshot and the journal', { snapshotAfterBytes: 1 }],
  ])('restores DDL change events, pre-images and collection UUIDs as first reported (from %s)', async (_, options) => {
    const first = await start(options);
    const db = first.client.db('feed');
    await db.createCollection('ddl', { changeStreamPreAndPostImages: { enabled: true } });
    const stream = db.watch([], {
      showExpandedEvents: true,
      fullDocumentBeforeChange: 'required',
      maxAwaitTimeMS: 200,
    });
    expect(await stream.tryNext()).toBeNull();
    const token = stream.resumeToken as ResumeToken;
    await db.collection<AnyDoc>('ddl').createIndex({ k: 1 }, { name: 'k_1' });
    await db.collection<AnyDoc>('ddl').insertOne({ _id: 1, k: 'a' });
    await db.collection<AnyDoc>('ddl').updateOne({ _id: 1 }, { $set: { k: 'b' } });
    const before = [await stream.next(), await stream.next(), await stream.next()];
    await stream.close();
    await stop(first.server, first.client);

    const second = await start();
    if (options.snapshotAfterBytes) expect(second.server.recovery?.snapshotLsn).toBeGreaterThan(0);
    const resumed = second.client.db('feed').watch([], {
      showExpandedEvents: true,
      fullDocumentBeforeChange: 'required',
      resumeAfter: token,
    });
    const after = [await resumed.next(), await resumed.next(), await resumed.next()];
    await resumed.close();
    expect(after.map((event) => event.operationType)).toEqual(['createIndexes', 'insert', 'update']);
    expect(after).toEqual(before);
  });

  it.each<[string, EmbeddedMongoOptions]>([
    ['the journal', {}],
    ['a snapshot and the journal', { snapshotAfterBytes: 1 }],
  ])(
    'answers a retryable write retried after a restart (from %s) with its first reply instead of applying it again',
    async (_, options) => {
      const first = await start(options);
      const port = Number(new URL(first.server.uri).port);
      const db = first.client.db('app');
      // Two sessions, each with its latest write: the one a driver retries after a network error.
      const inserting = first.client.startSession();
      const incrementing = first.client.startSession();
      const insert = { insert: 'retried', documents: [{ _id: 1, n: 0 }], txnNumber: Long.fromNumber(7) };
      const increment = {
        update: 'retried',
        updates: [{ q: { _id: 1 }, u: { $inc: { n: 1 } } }],
        txnNumber: Long.fromNumber(3),
      };
      expect(await db.command(insert, { session: inserting })).toMatchObject({ n: 1, ok: 1 });
      expect(await db.command(increment, { session: incrementing })).toMatchObject({ n: 1, nModified: 1 });
      // The server goes away (as in a crash before the driver got its replies) and comes back on the
      // same port, where the same client retries the same writes of the same sessions.
      await first.server.stop();
      running.splice(running.indexOf(first.server), 1);
      const second = await startEmbeddedMongo({ dir, port });
      running.push(second);
      if (options.snapshotAfterBytes) expect(second.recovery?.snapshotLsn).toBeGreaterThan(0);

      const retriedInsert = await db.command(insert, { session: inserting });
      expect(retriedInsert).toMatchObject({ n: 1, ok: 1 });
      expect(retriedInsert.writeErrors).toBeUndefined();
      expect(await db.command(increment, { session: incrementing })).toMatchObject({ n: 1, nModified: 1 });
      expect(await db.collection<AnyDoc>('retried').find().toArray()).toEqual([{ _id: 1, n: 1 }]);
      await inserting.endSession();
      await incrementing.endSession();
    },
  );

  it.each<[string, EmbeddedMongoOptions]>([
    ['the journal', {}],
    ['a snapshot and the journal', { snapshotAfterBytes: 1 }],
  ])('succeeds again when a committed transaction is committed again after a restart (from %s)', async (_, options) => {
    const first = await start(options);
    const port = Number(new URL(first.server.uri).port);
    const items = first.client.db('app').collection<AnyDoc>('committed');
    const session = first.client.startSession();
    session.startTransaction();
    await items.insertOne({ _id: 1 }, { session });
    await session.commitTransaction();
    await first.server.stop();
    running.splice(running.indexOf(first.server), 1);
    const second = await startEmbeddedMongo({ dir, port });
    running.push(second);
    if (options.snapshotAfterBytes) expect(second.recovery?.snapshotLsn).toBeGreaterThan(0);

    // What the driver does when a commit's reply was lost: the same commitTransaction again.
    await session.commitTransaction();
    expect(await items.find().toArray()).toEqual([{ _id: 1 }]);
    await session.endSession();
  });

  it('replays renameCollection and collMod', async () => {
    const first = await start();
    const db = first.client.db('app');
    await db.createCollection('before', { validator: { n: { $type: 'number' } } });
    await db.collection<AnyDoc>('before').insertOne({ _id: 1, n: 1 });
    await first.client.db('admin').command({ renameCollection: 'app.before', to: 'app.after' });
    await db.command({ collMod: 'after', validator: { n: { $type: 'string' } } });
    await stop(first.server, first.client);
    const second = await start();
    const after = second.client.db('app').collection<AnyDoc>('after');
    expect(await after.find().toArray()).toEqual([{ _id: 1, n: 1 }]);
    await expect(after.insertOne({ _id: 2, n: 2 })).rejects.toMatchObject({ code: 121 });
    expect(
      await second.client
        .db('app')
        .listCollections()
        .map((c) => c.name)
        .toArray(),
    ).toEqual(['after']);
  });

  it('keeps a default collation and a collated unique index, from the journal and from a snapshot', async () => {
    const collated = async (client: MongoClient) => {
      const words = client.db('app').collection<AnyDoc>('words');
      expect(await words.countDocuments({ word: 'CAFÉ' })).toBe(1);
      await expect(words.insertOne({ _id: 'dup', word: 'Café' })).rejects.toMatchObject({ code: 11000 });
    };
    const first = await start({ snapshotAfterBytes: 4096 });
    const db = first.client.db('app');
    await db.createCollection('words', { collation: { locale: 'fr', strength: 2 } });
    await db.collection<AnyDoc>('words').createIndex({ word: 1 }, { unique: true });
    await db.collection<AnyDoc>('words').insertOne({ _id: 1, word: 'café' });
    await stop(first.server, first.client);
    const fromJournal = await start({ snapshotAfterBytes: 4096 });
    await collated(fromJournal.client);
    const filler = fromJournal.client.db('app').collection<AnyDoc>('filler');
    for (let round = 0; round < 10; round += 1) {
      await filler.insertMany(Array.from({ length: 20 }, (_, k) => ({ _id: round * 20 + k, pad: 'x'.repeat(50) })));
    }
    await stop(fromJournal.server, fromJournal.client);
    const fromSnapshot = await start();
    expect(fromSnapshot.server.recovery?.snapshotLsn).toBeGreaterThan(0);
    await collated(fromSnapshot.client);
  });

  it('keeps views, their changes and drops, from the journal and from a snapshot', async () => {
    const listedViews = async (client: MongoClient) =>
      (await client.db('app').listCollections({ type: 'view' }, { nameOnly: false }).toArray()).map((view) => ({
        name: view.name,
        options: view.options,
      }));
    const first = await start({ snapshotAfterBytes: 4096 });
    const db = first.client.db('app');
    await db.collection<AnyDoc>('parks').insertMany([
      { _id: 1, name: 'Zion', open: true },
      { _id: 2, name: 'Arches', open: false },
    ]);
    await db.createCollection('open_parks', { viewOn: 'parks', pipeline: [{ $match: { open: true } }] });
    await db.createCollection('named', { viewOn: 'parks', pipeline: [], collation: { locale: 'en', strength: 2 } });
    await db.createCollection('dropped', { viewOn: 'parks', pipeline: [] });
    await db.command({ collMod: 'open_parks', pipeline: [{ $match: { open: true } }, { $project: { name: 1 } }] });
    await db.collection('dropped').drop();
    const expected = await listedViews(first.client);
    expect(expected.map((view) => view.name).sort()).toEqual(['named', 'open_parks']);
    await stop(first.server, first.client);

    const fromJournal = await start({ snapshotAfterBytes: 4096 });
    expect(await listedViews(fromJournal.client)).toEqual(expected);
    const filler = fromJournal.client.db('app').collection<AnyDoc>('filler');
    for (let round = 0; round < 10; round += 1) {
      await filler.insertMany(Array.from({ length: 20 }, (_, k) => ({ _id: round * 20 + k, pad: 'x'.repeat(50) })));
    }
    await stop(fromJournal.server, fromJournal.client);

    const fromSnapshot = await start();
    expect(fromSnapshot.server.recovery?.snapshotLsn).toBeGreaterThan(0);
    expect(await listedViews(fromSnapshot.client)).toEqual(expected);
    const app = fromSnapshot.client.db('app');
    expect(await app.collection('open_parks').find().toArray()).toEqual([{ _id: 1, name: 'Zion' }]);
    expect(await app.collection('named').countDocuments({ name: 'ZION' })).toBe(1);
  });

  it('replays a bulk insert whole, each document exactly and with its own cluster time', async () => {
    const first = await start();
    const items = first.client.db('bulk').collection<AnyDoc>('items');
    const stream = items.watch([], { maxAwaitTimeMS: 200 });
    expect(await stream.tryNext()).toBeNull();
    const batch = Array.from({ length: 300 }, (_, k) => ({ _id: k, long: Long.fromNumber(k), n: new Double(k) }));
    await items.insertMany(batch);
    for (let k = 0; k < 150; k++) await stream.next();
    const token = stream.resumeToken as ResumeToken;
    await stream.close();
    await stop(first.server, first.client);

    const second = await start();
    const again = second.client.db('bulk').collection<AnyDoc>('items');
    const stored = await again.find({}, { promoteValues: false }).sort({ _id: 1 }).toArray();
    expect(stored.map((doc) => EJSON.stringify(doc))).toEqual(
      batch.map((doc) => EJSON.stringify({ _id: new Int32(doc._id), long: doc.long, n: doc.n })),
    );
    const resumed = again.watch([], { resumeAfter: token });
    const next = await resumed.next();
    expect((next as { documentKey: Document }).documentKey._id).toBe(150);
    await resumed.close();
  });

  it('keeps TTL indexes working after a restart', async () => {
    const first = await start();
    await first.client.db('app').collection<AnyDoc>('sessions').createIndex({ at: 1 }, { expireAfterSeconds: 60 });
    await stop(first.server, first.client);
    const second = await start();
    const [, ttl] = await second.client.db('app').collection<AnyDoc>('sessions').indexes();
    expect(ttl).toMatchObject({ key: { at: 1 }, expireAfterSeconds: 60 });
  });

  it('snapshots in the background and deletes the journal segments the snapshot holds', async () => {
    const first = await start({ snapshotAfterBytes: 4096 });
    const items = first.client.db('app').collection<AnyDoc>('items');
    for (let round = 0; round < 20; round += 1) {
      await items.insertMany(
        Array.from({ length: 20 }, (_, k) => ({ _id: round * 20 + k, round, pad: 'x'.repeat(50) })),
      );
      await items.deleteMany({ round: round - 5 });
    }
    await stop(first.server, first.client);
    const files = await readdir(dir);
    expect(files.filter((name) => name.startsWith('snapshot-')).length).toBe(1);
    expect((await journalFiles()).length).toBeLessThanOrEqual(2);

    const second = await start();
    expect(second.server.recovery?.snapshotLsn).toBeGreaterThan(0);
    const kept = await second.client.db('app').collection<AnyDoc>('items').find().sort({ _id: 1 }).toArray();
    expect(kept.map((doc) => doc._id)).toEqual(Array.from({ length: 100 }, (_, k) => 300 + k));
  });

  it('drops a torn journal tail at start and keeps everything before it', async () => {
    const first = await start();
    const items = first.client.db('app').collection<AnyDoc>('items');
    for (let n = 0; n < 10; n += 1) await items.insertOne({ _id: n });
    await stop(first.server, first.client);
    const [segment] = (await journalFiles()).slice(-1);
    const path = join(dir, segment as string);
    const { size } = await stat(path);
    // Cut the last frame in half, as a crash during its write would.
    await truncate(path, size - 7);

    const second = await start();
    expect(second.server.recovery?.droppedTailBytes).toBeGreaterThan(0);
    const ids = await second.client.db('app').collection<AnyDoc>('items').distinct('_id');
    expect(ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    await second.client.db('app').collection<AnyDoc>('items').insertOne({ _id: 'after' });
    await stop(second.server, second.client);

    const third = await start();
    expect(await third.client.db('app').collection<AnyDoc>('items').countDocuments()).toBe(10);
  });

  it('restores inserted documents exactly: _id first, every value type kept, however the client ordered them', async () => {
    const first = await start();
    const items = first.client.db('app').collection<AnyDoc>('typed');
    const generated: Document = { kind: 'id added by the driver, last' };
    await items.insertMany([
      {
        kind: 'id not first',
        _id: 'b',
        n: new Int32(7),
        d: new Double(2),
        l: Long.fromNumber(5),
        nested: { a: [1, 'x'] },
      },
      generated as AnyDoc,
    ]);
    await items.insertOne({ kind: 'single', _id: 'c', when: new Date(0) });
    const exactly = async (client: MongoClient) =>
      EJSON.stringify(
        await client.db('app').collection('typed').find({}, { promoteValues: false }).sort({ kind: 1 }).toArray(),
        { relaxed: false },
      );
    const before = await exactly(first.client);
    await stop(first.server, first.client);

    const second = await start();
    expect(await exactly(second.client)).toBe(before);
    const restored = await second.client.db('app').collection('typed').find().sort({ kind: 1 }).toArray();
    expect(restored.map((doc) => Object.keys(doc)[0])).toEqual(['_id', '_id', '_id']);
    expect(restored.map((doc) => doc._id)).toEqual([generated._id, 'b', 'c']);
    expect(before).toContain('"d":{"$numberDouble":"2.0"}');
  });

  it('writes the journal into zero-filled space, cut off at a clean stop and not taken for a torn tail after a crash', async () => {
    const first = await start();
    const items = first.client.db('app').collection<AnyDoc>('items');
    await items.insertMany(Array.from({ length: 50 }, (_, k) => ({ _id: k })));
    const path = join(dir, (await journalFiles()).at(-1) as string);
    expect((await stat(path)).size).toBe(4 * 1024 * 1024);
    await stop(first.server, first.client);
    const written = await readFile(path);
    expect(written.length).toBeLessThan(4 * 1024 * 1024);
    // A crash leaves the space the journal had not reached yet.
    await writeFile(path, Buffer.concat([written, Buffer.alloc(1024 * 1024)]));

    const second = await start();
    expect(second.server.recovery?.droppedTailBytes).toBe(0);
    expect(await second.client.db('app').collection<AnyDoc>('items').countDocuments()).toBe(50);
    expect((await stat(path)).size).toBe(written.length);
  });

  it('drops a damaged frame at the end of the journal, whatever its damage', async () => {
    const first = await start();
    await first.client.db('app').collection<AnyDoc>('items').insertOne({ _id: 1 });
    await first.client.db('app').collection<AnyDoc>('items').insertOne({ _id: 2 });
    await stop(first.server, first.client);
    const path = join(dir, (await journalFiles()).at(-1) as string);
    const bytes = await readFile(path);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
    await writeFile(path, Buffer.concat([bytes, Buffer.alloc(64)]));

    const second = await start();
    expect(await second.client.db('app').collection<AnyDoc>('items').distinct('_id')).toEqual([1]);
  });

  it('refuses a second server on a directory in use, and names the one that holds it', async () => {
    const { server, client } = await start();
    await expect(startEmbeddedMongo({ dir })).rejects.toThrow(/in use by process \d+ \(mongodb:/);
    expect(await runningServerUri(dir)).toBe(server.uri);
    await stop(server, client);
    expect(await runningServerUri(dir)).toBeUndefined();
  });

  it('keeps nothing with :memory:', async () => {
    const first = await startEmbeddedMongo({ dir: IN_MEMORY });
    const client = await MongoClient.connect(first.uri);
    await client.db('app').collection<AnyDoc>('items').insertOne({ _id: 1 });
    await client.close();
    await first.stop();
    expect(first.dir).toBeUndefined();
    const second = await startEmbeddedMongo({ dir: IN_MEMORY });
    const again = await MongoClient.connect(second.uri);
    expect(await again.db('app').collection<AnyDoc>('items').countDocuments()).toBe(0);
    await again.close();
    await second.stop();
  });
});

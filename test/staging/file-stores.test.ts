import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connectDatabase, type Database } from '../../src/data/database.js';
import { FileTooLargeError, type FileStore } from '../../src/data/file-store.js';
import { collections } from '../../src/modules/application.js';
import { s3FileStore } from '../../src/staging/s3-file-store.js';
import { startTestMongo, uniqueDbName, type TestMongo } from '../support/mongo.js';
import { startTestS3, type TestS3 } from '../support/s3.js';

/** A stream of `count` chunks of `size` bytes each, produced lazily as a large upload would arrive. */
const chunks = (count: number, size: number, fill = 'x') =>
  Readable.from(
    (function* () {
      for (let index = 0; index < count; index++) yield Buffer.alloc(size, fill);
    })(),
  );

let mongo: TestMongo;
let database: Database;
let s3: TestS3;

beforeAll(async () => {
  mongo = await startTestMongo();
  database = await connectDatabase({ uri: mongo.uri, dbName: uniqueDbName('staging'), collections });
  s3 = await startTestS3();
});

afterAll(async () => {
  await database?.close();
  await mongo?.stop();
  await s3?.stop();
});

const stores: Array<[string, () => FileStore]> = [
  ['GridFS (the default, on the database under test)', () => database.files('staging')],
  [
    'S3-compatible (s3rver)',
    () => {
      const config = loadConfig(s3.env).staging;
      if (config.store !== 's3') throw new Error('expected the s3 staging configuration');
      return s3FileStore(config);
    },
  ],
];

describe.each(stores)('the staging file store: %s', (_name, storeOf) => {
  it('keeps a streamed file of several megabytes and gives it back byte for byte', async () => {
    const store = storeOf();
    // 6 MiB: more than one GridFS chunk and more than one part of an S3 multipart upload (5 MiB).
    const { size } = await store.put('t1/job1/big.ndjson', chunks(96, 64 * 1024, 'a'));
    expect(size).toBe(6 * 1024 * 1024);
    expect(await store.size('t1/job1/big.ndjson')).toBe(size);
    const body = await store.get('t1/job1/big.ndjson');
    const back = await text(body!);
    expect(back.length).toBe(size);
    expect(back).toBe('a'.repeat(size));
  });

  it('answers null for a name that holds nothing, and deletes', async () => {
    const store = storeOf();
    expect(await store.get('t1/none/file.csv')).toBeNull();
    expect(await store.size('t1/none/file.csv')).toBeNull();
    await store.put('t1/job2/file.csv', Readable.from(['a,b\n']));
    await store.delete('t1/job2/file.csv');
    expect(await store.get('t1/job2/file.csv')).toBeNull();
    await store.delete('t1/job2/file.csv');
  });

  it('deletes every file under a prefix, and only those (a tenant purge)', async () => {
    const store = storeOf();
    await store.put('t5/job1/big.ndjson', chunks(96, 64 * 1024));
    await store.put('t5/job2/in.csv', Readable.from(['a,b\n']));
    await store.put('t50/job1/in.csv', Readable.from(['not t5\n']));
    expect(await store.deleteAll('t5/')).toBe(2);
    expect(await store.get('t5/job1/big.ndjson')).toBeNull();
    expect(await store.get('t5/job2/in.csv')).toBeNull();
    expect(await text((await store.get('t50/job1/in.csv'))!)).toBe('not t5\n');
    expect(await store.deleteAll('t5/')).toBe(0);
  });

  it('replaces the content of a name written again', async () => {
    const store = storeOf();
    await store.put('t1/job3/out.csv', Readable.from(['first version, longer\n']));
    await store.put('t1/job3/out.csv', Readable.from(['second\n']));
    expect(await text((await store.get('t1/job3/out.csv'))!)).toBe('second\n');
    expect(await store.size('t1/job3/out.csv')).toBe(7);
  });

  it('refuses a stream past its size limit and keeps nothing of it', async () => {
    const store = storeOf();
    await expect(store.put('t1/job4/in.csv', chunks(40, 1024), { maxBytes: 32 * 1024 })).rejects.toBeInstanceOf(
      FileTooLargeError,
    );
    expect(await store.get('t1/job4/in.csv')).toBeNull();
    const { size } = await store.put('t1/job4/in.csv', chunks(32, 1024), { maxBytes: 32 * 1024 });
    expect(size).toBe(32 * 1024);
  });
});

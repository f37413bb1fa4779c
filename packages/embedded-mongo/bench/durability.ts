import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MongoClient, ObjectId } from 'mongodb';
import type { Document } from 'mongodb';
import { startEmbeddedMongo } from '../src/index.js';
import type { EmbeddedMongoOptions } from '../src/index.js';

/** Concurrent single-document writers: what group commit has to share one flush between. */
const WRITERS = 32;
const SINGLE_INSERTS = 4_000;
const BATCH = 1_000;
const BATCHED_INSERTS = 50_000;
const RECOVERED_DOCUMENTS = 100_000;
const ROUNDS = 3;

function documentAt(i: number): Document {
  return { _id: new ObjectId(), tenantId: `tenant-${i % 50}`, email: `user${i}@example.com`, name: `User ${i}`, n: i };
}

/** Runs `work` against a fresh server (in memory, or durable in a fresh directory), returning its milliseconds. */
async function timed(durable: boolean, work: (client: MongoClient) => Promise<void>): Promise<number> {
  const dir = durable ? await mkdtemp(join(tmpdir(), 'embedded-bench-')) : undefined;
  const options: EmbeddedMongoOptions = dir ? { dir } : {};
  const server = await startEmbeddedMongo(options);
  const client = await MongoClient.connect(server.uri, { maxPoolSize: WRITERS });
  try {
    await client.db('bench').command({ ping: 1 });
    const start = performance.now();
    await work(client);
    return performance.now() - start;
  } finally {
    await client.close();
    await server.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

async function singleInserts(client: MongoClient): Promise<void> {
  const people = client.db('bench').collection('people');
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < SINGLE_INSERTS) await people.insertOne(documentAt(next++));
    }),
  );
}

async function batchedInserts(client: MongoClient): Promise<void> {
  const people = client.db('bench').collection('people');
  for (let start = 0; start < BATCHED_INSERTS; start += BATCH) {
    await people.insertMany(Array.from({ length: BATCH }, (_, k) => documentAt(start + k)));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Median throughput ratio durable ÷ memory over ROUNDS alternating runs (the two share any background load). */
async function writeRatio(name: string, work: (client: MongoClient) => Promise<void>, operations: number) {
  const memory: number[] = [];
  const durable: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    memory.push(await timed(false, work));
    durable.push(await timed(true, work));
  }
  const perSecond = (ms: number) => Math.round((operations / ms) * 1000);
  console.log(
    `  ${name}: memory ${perSecond(median(memory))}/s, durable ${perSecond(median(durable))}/s, durable/memory ${(median(memory) / median(durable)).toFixed(2)}x`,
  );
}

/**
 * Start-up of a server whose directory holds RECOVERED_DOCUMENTS documents (with a secondary index),
 * against the baseline of inserting the same documents into an in-memory server in batches.
 */
async function recovery(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'embedded-bench-recovery-'));
  try {
    const fill = async (client: MongoClient) => {
      const people = client.db('bench').collection('people');
      await people.createIndex({ tenantId: 1, email: 1 }, { unique: true });
      for (let start = 0; start < RECOVERED_DOCUMENTS; start += BATCH) {
        await people.insertMany(Array.from({ length: BATCH }, (_, k) => documentAt(start + k)));
      }
    };
    const loadInMemory = await timed(false, fill);
    const writer = await startEmbeddedMongo({ dir });
    const client = await MongoClient.connect(writer.uri);
    await fill(client);
    await client.close();
    await writer.stop();
    const start = performance.now();
    const reopened = await startEmbeddedMongo({ dir });
    const recoveryMs = performance.now() - start;
    const { snapshotLsn, replayedRecords } = reopened.recovery ?? { snapshotLsn: 0, replayedRecords: 0 };
    await reopened.stop();
    console.log(
      `  recovery of ${RECOVERED_DOCUMENTS / 1000}k documents: ${recoveryMs.toFixed(0)} ms (snapshot at LSN ${snapshotLsn}, ${replayedRecords} journal records replayed); inserting them in memory: ${loadInMemory.toFixed(0)} ms; recovery/insert ${(recoveryMs / loadInMemory).toFixed(2)}x`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes with durability against writes in memory, and recovery time. */
export async function run(): Promise<void> {
  console.log(`embedded-mongo durability: medians of ${ROUNDS} alternating rounds`);
  await writeRatio(`single inserts, ${WRITERS} concurrent writers`, singleInserts, SINGLE_INSERTS);
  await writeRatio(`batched inserts of ${BATCH}`, batchedInserts, BATCHED_INSERTS);
  await recovery();
}

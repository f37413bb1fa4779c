import { performance } from 'node:perf_hooks';
import { MongoClient, ObjectId } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import { startEmbeddedMongo } from '../src/embedded-mongo/index.js';

/** Collection sizes measured; the first is the baseline the others are compared with. */
const SIZES = [1_000, 10_000, 100_000];
/** Each figure is the median of ROUNDS rounds of LOOKUPS_PER_ROUND lookups, to damp noise from other processes. */
const ROUNDS = 7;
const LOOKUPS_PER_ROUND = 500;
const TENANTS = 50;
const INSERT_BATCH = 2_000;

interface Timings {
  byId: number;
  byIndex: number;
}

function documentAt(i: number): Document {
  return { _id: new ObjectId(), tenantId: `tenant-${i % TENANTS}`, email: `user${i}@example.com`, name: `User ${i}`, n: i };
}

async function growTo(collection: Collection, ids: ObjectId[], size: number): Promise<void> {
  while (ids.length < size) {
    const batch = Array.from({ length: Math.min(INSERT_BATCH, size - ids.length) }, (_, k) => documentAt(ids.length + k));
    await collection.insertMany(batch);
    for (const doc of batch) ids.push(doc._id as ObjectId);
  }
}

/** Mean milliseconds per lookup over random existing documents. */
async function timeRound(lookup: (i: number) => Promise<unknown>, size: number): Promise<number> {
  const picks = Array.from({ length: LOOKUPS_PER_ROUND }, () => Math.floor(Math.random() * size));
  const start = performance.now();
  for (const i of picks) {
    if (!(await lookup(i))) throw new Error(`document ${i} not found`);
  }
  return (performance.now() - start) / LOOKUPS_PER_ROUND;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function measure(collection: Collection, ids: ObjectId[]): Promise<Timings> {
  const size = ids.length;
  const byId: number[] = [];
  const byIndex: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    byId.push(await timeRound((i) => collection.findOne({ _id: ids[i] }), size));
    byIndex.push(await timeRound((i) => collection.findOne({ tenantId: `tenant-${i % TENANTS}`, email: `user${i}@example.com` }), size));
  }
  return { byId: median(byId), byIndex: median(byIndex) };
}

function label(size: number): string {
  return `${size / 1000}k`;
}

/**
 * Find-by-_id and find-by-leading-index-fields through the driver against a fresh embedded server,
 * at growing collection sizes: both must stay flat, since neither may scan the collection.
 */
export async function run(): Promise<void> {
  const server = await startEmbeddedMongo();
  const client = await MongoClient.connect(server.uri);
  try {
    const collection = client.db('bench').collection('people');
    await collection.createIndex({ tenantId: 1, email: 1 }, { unique: true });
    const ids: ObjectId[] = [];
    const results = new Map<number, Timings>();
    for (const size of SIZES) {
      await growTo(collection, ids, size);
      // The first round also warms up the JIT and the connection pool, so it is measured twice.
      if (results.size === 0) await measure(collection, ids);
      results.set(size, await measure(collection, ids));
    }
    const baseline = results.get(SIZES[0] as number) as Timings;
    console.log(`embedded-mongo: median of ${ROUNDS} rounds of ${LOOKUPS_PER_ROUND} lookups per size, ms/op`);
    for (const [size, timings] of results) {
      console.log(`  ${label(size).padStart(5)}: find-by-id ${timings.byId.toFixed(3)} ms, find-by-{tenantId,email} ${timings.byIndex.toFixed(3)} ms`);
    }
    for (const size of SIZES.slice(1)) {
      const timings = results.get(size) as Timings;
      const ratio = `${label(size)}/${label(SIZES[0] as number)}`;
      console.log(`find-by-id ${ratio}: ${(timings.byId / baseline.byId).toFixed(2)}x`);
      console.log(`find-by-tenant-index ${ratio}: ${(timings.byIndex / baseline.byIndex).toFixed(2)}x`);
    }
  } finally {
    await client.close();
    await server.stop();
  }
}

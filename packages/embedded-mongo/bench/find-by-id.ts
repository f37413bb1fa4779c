import { performance } from 'node:perf_hooks';
import { MongoClient, ObjectId } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import { startEmbeddedMongo } from '../src/index.js';

/** Collection sizes measured; the first is the baseline the others are compared with. */
const SIZES = [1_000, 10_000, 100_000];
/**
 * Each figure is the median over ROUNDS rounds of LOOKUPS_PER_ROUND lookups. The sizes take turns
 * within every round, so load from other processes falls on all of them alike instead of skewing
 * whichever size happened to be measured during a busy moment.
 */
const ROUNDS = 15;
const LOOKUPS_PER_ROUND = 300;
const TENANTS = 50;
const INSERT_BATCH = 2_000;

interface Subject {
  size: number;
  collection: Collection;
  ids: ObjectId[];
  byId: number[];
  byIndex: number[];
}

function documentAt(i: number): Document {
  return {
    _id: new ObjectId(),
    tenantId: `tenant-${i % TENANTS}`,
    email: `user${i}@example.com`,
    name: `User ${i}`,
    n: i,
  };
}

async function fill(collection: Collection, size: number): Promise<ObjectId[]> {
  await collection.createIndex({ tenantId: 1, email: 1 }, { unique: true });
  const ids: ObjectId[] = [];
  while (ids.length < size) {
    const batch = Array.from({ length: Math.min(INSERT_BATCH, size - ids.length) }, (_, k) =>
      documentAt(ids.length + k),
    );
    await collection.insertMany(batch);
    for (const doc of batch) ids.push(doc._id as ObjectId);
  }
  return ids;
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

async function measureRound(subject: Subject): Promise<void> {
  const { collection, ids, size } = subject;
  subject.byId.push(await timeRound((i) => collection.findOne({ _id: ids[i] }), size));
  subject.byIndex.push(
    await timeRound(
      (i) => collection.findOne({ tenantId: `tenant-${i % TENANTS}`, email: `user${i}@example.com` }),
      size,
    ),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function label(size: number): string {
  return `${size / 1000}k`;
}

/**
 * Find-by-_id and find by equality on the leading fields of a {tenantId, email} index, through the
 * driver against a fresh embedded server, on collections of 1k, 10k and 100k documents: both must
 * stay flat as the collection grows, since neither may scan it.
 */
export async function run(): Promise<void> {
  const server = await startEmbeddedMongo();
  const client = await MongoClient.connect(server.uri);
  try {
    const db = client.db('bench');
    const subjects: Subject[] = [];
    for (const size of SIZES) {
      const collection = db.collection(`people_${label(size)}`);
      subjects.push({ size, collection, ids: await fill(collection, size), byId: [], byIndex: [] });
    }
    // A first round warms up the JIT and the connection pool; it is not counted.
    for (const subject of subjects) await measureRound({ ...subject, byId: [], byIndex: [] });
    for (let round = 0; round < ROUNDS; round++) {
      for (const subject of subjects) await measureRound(subject);
    }
    const [baseline] = subjects as [Subject, ...Subject[]];
    console.log(`embedded-mongo: median of ${ROUNDS} rounds of ${LOOKUPS_PER_ROUND} lookups, ms/op`);
    for (const subject of subjects) {
      console.log(
        `  ${label(subject.size).padStart(5)}: find-by-id ${median(subject.byId).toFixed(3)} ms, find-by-{tenantId,email} ${median(subject.byIndex).toFixed(3)} ms`,
      );
    }
    for (const subject of subjects.slice(1)) {
      const ratio = `${label(subject.size)}/${label(baseline.size)}`;
      console.log(`find-by-id ${ratio}: ${(median(subject.byId) / median(baseline.byId)).toFixed(2)}x`);
      console.log(`find-by-tenant-index ${ratio}: ${(median(subject.byIndex) / median(baseline.byIndex)).toFixed(2)}x`);
    }
  } finally {
    await client.close();
    await server.stop();
  }
}

import { performance } from 'node:perf_hooks';
import { startEmbeddedMongo } from '@tenantgraph/embedded-mongo';
import { connectDatabase } from '../src/data/database.js';
import { newId } from '../src/data/ids.js';
import { collections } from '../src/modules/application.js';

/**
 * How long a move pauses a tenant's writes, by the tenant's size: a tenant of SMALL parks (the
 * baseline) and one of LARGE parks are moved to a database of their own and back, in the same run,
 * on the embedded server, with one instance following the registry. Only the changes made during
 * the copy are copied in the pause, so the pause should not grow with the data (ratio near 1x)
 * while the whole move does.
 */
const SMALL = 1_000;
const LARGE = 20_000;
const ROUNDS = 3;

async function measure(parks: number): Promise<{ pausedMs: number; totalMs: number }> {
  const server = await startEmbeddedMongo({});
  const database = await connectDatabase({ uri: server.uri, dbName: 'bench', collections });
  await database.ensureIndexes();
  const follower = await database.followPlacements((error) => console.error(error));
  const tenantId = newId();
  const db = database.forTenant(tenantId);
  for (let i = 0; i < parks; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, parks - i) }, (_unused, j) =>
        db.collection('parks').insertOne({ name: `Park ${i + j}`, region: 'bench', createdAt: new Date() }),
      ),
    );
  }
  const paused: number[] = [];
  const total: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const to of [
        { cluster: null, database: 'bench_own' },
        { cluster: null, database: null },
      ]) {
        const started = performance.now();
        const report = await database.moveTenant(tenantId, to);
        total.push(performance.now() - started);
        paused.push(report.pausedMs);
      }
    }
  } finally {
    await follower.stop();
    await database.close();
    await server.stop();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { pausedMs: median(paused), totalMs: median(total) };
}

export async function run(): Promise<void> {
  const small = await measure(SMALL);
  const large = await measure(LARGE);
  console.log(`tenant of ${SMALL} parks (baseline): pause ${small.pausedMs} ms, move ${small.totalMs.toFixed(0)} ms`);
  console.log(`tenant of ${LARGE} parks: pause ${large.pausedMs} ms, move ${large.totalMs.toFixed(0)} ms`);
  console.log(
    `pause ${LARGE} ÷ ${SMALL}: ${(large.pausedMs / small.pausedMs).toFixed(2)}x; ` +
      `whole move: ${(large.totalMs / small.totalMs).toFixed(2)}x`,
  );
}

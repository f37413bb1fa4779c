import * as apiOverhead from './api-overhead.js';
import * as embeddedMongo from './embedded-mongo.js';
import * as exportFanout from './export-fanout.js';
import * as idempotencyKeys from './idempotency-keys.js';
import * as importJobs from './import-jobs.js';
import * as noisyNeighbour from './noisy-neighbour.js';
import * as persistedQuery from './persisted-query.js';
import * as placementMove from './placement-move.js';
import * as writeConcurrency from './write-concurrency.js';

interface BenchModule {
  run(): Promise<void>;
}

/** The benchmarks `npm run bench` runs, one after the other. */
const BENCHMARKS: Record<string, BenchModule> = {
  'embedded-mongo': embeddedMongo,
  'api-overhead': apiOverhead,
  'persisted-query': persistedQuery,
  'export-fanout': exportFanout,
  'write-concurrency': writeConcurrency,
  'idempotency-keys': idempotencyKeys,
  'noisy-neighbour': noisyNeighbour,
  'placement-move': placementMove,
  'import-jobs': importJobs,
};

// `npm run bench -- api-overhead persisted-query` runs those alone; no name runs them all.
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0)
  throw new Error(`Unknown benchmark ${unknown.join(', ')}: ${Object.keys(BENCHMARKS).join(', ')}`);

for (const [name, bench] of Object.entries(BENCHMARKS)) {
  if (chosen.length > 0 && !chosen.includes(name)) continue;
  console.log(`\n# ${name}`);
  await bench.run();
}

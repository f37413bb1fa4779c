import * as apiOverhead from './api-overhead.js';
import * as embeddedMongo from './embedded-mongo.js';
import * as exportFanout from './export-fanout.js';
import * as noisyNeighbour from './noisy-neighbour.js';
import * as persistedQuery from './persisted-query.js';
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
  'noisy-neighbour': noisyNeighbour,
};

for (const [name, bench] of Object.entries(BENCHMARKS)) {
  console.log(`\n# ${name}`);
  await bench.run();
}

import * as changeLog from './change-log.js';
import * as durability from './durability.js';
import * as findById from './find-by-id.js';

interface BenchModule {
  run(): Promise<void>;
}

/** The package's benchmarks, one after the other; the root `npm run bench` runs them too. */
const BENCHMARKS: Record<string, BenchModule> = {
  durability,
  'find-by-id': findById,
  'change-log': changeLog,
};

for (const [name, bench] of Object.entries(BENCHMARKS)) {
  console.log(`\n# embedded-mongo ${name}`);
  await bench.run();
}

import { startBenchApp } from './bench-app.js';

const CREATE = JSON.stringify({
  query: 'mutation ($input: CreateParkInput!) { createPark(input: $input) { id name } }',
  variables: { input: { name: 'Bench Park', capacity: 10 } },
});
const WRITERS = 4;
const REQUESTS_PER_WRITER = 100;
const ROUNDS = 2;

interface Run {
  rps: number;
  p99: number;
}

/** WRITERS concurrent clients, each sending REQUESTS_PER_WRITER createPark mutations one after the other. */
async function load(url: string, token: string, keyOf: (writer: number, request: number) => string | null) {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      for (let request = 0; request < REQUESTS_PER_WRITER; request += 1) {
        const key = keyOf(writer, request);
        const sent = performance.now();
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
            ...(key === null ? {} : { 'idempotency-key': key }),
          },
          body: CREATE,
        });
        const body = (await response.json()) as { errors?: unknown };
        if (response.status !== 200 || body.errors) throw new Error(`createPark: ${JSON.stringify(body)}`);
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

/**
 * What an Idempotency-Key costs a mutation (contract section 11): createPark with a fresh key on every
 * request (claimed, executed, its response stored) and a repeat of keys already used (replayed, not
 * executed), each against the same mutation without a key, on one server and one embedded database,
 * the runs interleaved so that warm-up and machine noise fall on every side.
 */
export async function run(): Promise<void> {
  const bench = await startBenchApp();
  const url = `${bench.app.url}/graphql`;
  const plain: Run[] = [];
  const keyed: Run[] = [];
  const replayed: Run[] = [];
  // Warm-up, not measured: the first requests compile code paths and fill caches for every side.
  await load(url, bench.token, (writer, request) => `warm-up-${writer}-${request}`);
  for (let round = 0; round < ROUNDS; round += 1) {
    const keyOf = (writer: number, request: number) => `bench-${round}-${writer}-${request}`;
    // The order alternates between rounds, so that neither side always runs first.
    if (round % 2 === 0) plain.push(await load(url, bench.token, () => null));
    keyed.push(await load(url, bench.token, keyOf));
    replayed.push(await load(url, bench.token, keyOf));
    if (round % 2 === 1) plain.push(await load(url, bench.token, () => null));
  }
  const mean = (runs: Run[], key: keyof Run) => runs.reduce((sum, r) => sum + r[key], 0) / runs.length;
  console.log(`idempotency keys: createPark, ${WRITERS} writers in one tenant, with a key vs without`);
  console.log(`  requests/s fresh key/no key: ${(mean(keyed, 'rps') / mean(plain, 'rps')).toFixed(2)}x`);
  console.log(`  p99 latency fresh key/no key: ${(mean(keyed, 'p99') / mean(plain, 'p99')).toFixed(2)}x`);
  console.log(`  requests/s replayed key/no key: ${(mean(replayed, 'rps') / mean(plain, 'rps')).toFixed(2)}x`);
  console.log(`  p99 latency replayed key/no key: ${(mean(replayed, 'p99') / mean(plain, 'p99')).toFixed(2)}x`);
  await bench.stop();
}

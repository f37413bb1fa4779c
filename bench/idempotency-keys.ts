import { startBenchApp } from './bench-app.js';

/**
 * One mutation of each way a key is made safe (docs/operations-runtime.md): createPark runs in a
 * transaction of the tenant's placement with its response, createApiKey in one of the shared database.
 */
const MUTATIONS = [
  {
    name: 'createPark',
    body: JSON.stringify({
      query: 'mutation ($input: CreateParkInput!) { createPark(input: $input) { id name } }',
      variables: { input: { name: 'Bench Park', capacity: 10 } },
    }),
  },
  {
    name: 'createApiKey',
    body: JSON.stringify({
      query: 'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } secret } }',
      variables: { input: { name: 'bench key', roles: ['VIEWER'] } },
    }),
  },
] as const;
const WRITERS = 4;
const REQUESTS_PER_WRITER = 100;
const ROUNDS = 2;

interface Run {
  rps: number;
  p99: number;
}

/** WRITERS concurrent clients, each sending REQUESTS_PER_WRITER of one mutation one after the other. */
async function load(
  url: string,
  token: string,
  mutation: (typeof MUTATIONS)[number],
  keyOf: (writer: number, request: number) => string | null,
) {
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
          body: mutation.body,
        });
        const body = (await response.json()) as { errors?: unknown };
        if (response.status !== 200 || body.errors) throw new Error(`${mutation.name}: ${JSON.stringify(body)}`);
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

/**
 * What an Idempotency-Key costs a mutation (contract section 11): each mutation with a fresh key on
 * every request (claimed, executed in one transaction with its stored response) and a repeat of keys
 * already used (replayed, not executed), each against the same mutation without a key, on one server
 * and one embedded database, the runs interleaved so that warm-up and machine noise fall on every side.
 */
export async function run(): Promise<void> {
  const bench = await startBenchApp();
  const url = `${bench.app.url}/graphql`;
  for (const mutation of MUTATIONS) {
    const plain: Run[] = [];
    const keyed: Run[] = [];
    const replayed: Run[] = [];
    const send = (keyOf: (writer: number, request: number) => string | null) => load(url, bench.token, mutation, keyOf);
    // Warm-up, not measured: the first requests compile code paths and fill caches for every side.
    await send((writer, request) => `warm-up-${mutation.name}-${writer}-${request}`);
    for (let round = 0; round < ROUNDS; round += 1) {
      const keyOf = (writer: number, request: number) => `bench-${mutation.name}-${round}-${writer}-${request}`;
      // The order alternates between rounds, so that neither side always runs first.
      if (round % 2 === 0) plain.push(await send(() => null));
      keyed.push(await send(keyOf));
      replayed.push(await send(keyOf));
      if (round % 2 === 1) plain.push(await send(() => null));
    }
    const mean = (runs: Run[], key: keyof Run) => runs.reduce((sum, r) => sum + r[key], 0) / runs.length;
    const ratio = (runs: Run[], key: keyof Run) => (mean(runs, key) / mean(plain, key)).toFixed(2);
    console.log(`idempotency keys: ${mutation.name}, ${WRITERS} writers in one tenant, with a key vs without`);
    console.log(`  requests/s fresh key/no key: ${ratio(keyed, 'rps')}x`);
    console.log(`  p99 latency fresh key/no key: ${ratio(keyed, 'p99')}x`);
    console.log(`  requests/s replayed key/no key: ${ratio(replayed, 'rps')}x`);
    console.log(`  p99 latency replayed key/no key: ${ratio(replayed, 'p99')}x`);
  }
  await bench.stop();
}

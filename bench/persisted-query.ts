import { loadManifest } from '../src/bi/manifest.js';
import { addParks, startBenchApp } from './bench-app.js';
import { loadFromAnotherProcess } from './load-process.js';

const OPERATION = 'ParksWithCapacity';
const VARIABLES = { first: 100 };
const DURATION_SECONDS = 4;
const CONNECTIONS = 8;
const WARM_UP_SECONDS = 1;

interface Run {
  rps: number;
  p99: number;
  /** Bytes received per answer, headers included. */
  bytes: number;
}

interface Target {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The status every answer must have. */
  status: 200 | 304;
}

async function load(origin: string, target: Target, seconds = DURATION_SECONDS): Promise<Run> {
  const result = await loadFromAnotherProcess({
    url: `${origin}${target.path}`,
    method: target.method,
    connections: CONNECTIONS,
    seconds,
    headers: target.headers,
    ...(target.body !== undefined && { body: target.body }),
  });
  const unexpected =
    target.status === 200
      ? result.non2xx
      : result['2xx'] + result['4xx'] + result['5xx'] + (result['3xx'] === 0 ? 1 : 0);
  if (result.errors > 0 || unexpected > 0) {
    throw new Error(
      `${target.method} ${target.path}: ${result.errors} errors, ${unexpected} answers not ${target.status}`,
    );
  }
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    bytes: result.throughput.total / Math.max(1, result.requests.total),
  };
}

/** Bytes of the request line, headers and body as sent: what a client uploads for each poll. */
function requestBytes(target: Target): number {
  const head = `${target.method} ${target.path} HTTP/1.1\r\n${Object.entries(target.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
  return Buffer.byteLength(head) + Buffer.byteLength(target.body ?? '');
}

/**
 * The same 100-park query three ways, through the full stack, as the same user: the trusted operation
 * by its hash over GET, its revalidation with If-None-Match (304, no body), and the full document
 * over POST (the baseline, with Apollo's parsed-document cache warm as for any repeated query). Each
 * is warmed up first, then the runs are interleaved twice so that machine noise falls on every side;
 * the load comes from another process (load-process.ts).
 */
export async function run(): Promise<void> {
  const bench = await startBenchApp();
  const { app, token } = bench;
  await addParks(bench.texas, 100);
  const operation = loadManifest().operations.find((entry) => entry.name === OPERATION);
  if (!operation) throw new Error(`${OPERATION} is not in the manifest`);

  const auth = { authorization: `Bearer ${token}` };
  const search = new URLSearchParams({
    extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: operation.id } }),
    variables: JSON.stringify(VARIABLES),
  });
  const trusted: Target = { method: 'GET', path: `/graphql?${search}`, headers: auth, status: 200 };
  const first = await fetch(`${app.url}${trusted.path}`, { headers: auth });
  const etag = first.headers.get('etag');
  if (first.status !== 200 || !etag) throw new Error(`trusted GET answered ${first.status} without an ETag`);
  const revalidated: Target = { ...trusted, headers: { ...auth, 'if-none-match': etag }, status: 304 };
  const document: Target = {
    method: 'POST',
    path: '/graphql',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ query: operation.body, variables: VARIABLES }),
    status: 200,
  };

  // Each path once before measuring, so that no measured run pays for the first compilations.
  for (const target of [document, trusted, revalidated]) await load(app.url, target, WARM_UP_SECONDS);
  const runs = { trusted: [] as Run[], revalidated: [] as Run[], document: [] as Run[] };
  for (let round = 0; round < 2; round += 1) {
    runs.document.push(await load(app.url, document));
    runs.trusted.push(await load(app.url, trusted));
    runs.revalidated.push(await load(app.url, revalidated));
  }

  const mean = (list: Run[], key: keyof Run) => list.reduce((sum, r) => sum + r[key], 0) / list.length;
  const ratio = (list: Run[], key: keyof Run) => (mean(list, key) / mean(runs.document, key)).toFixed(2);
  console.log(
    `persisted query: ${OPERATION} (100 parks) by hash over GET vs the full document over POST (same user, same stack)`,
  );
  console.log(`  requests/s trusted GET / full document: ${ratio(runs.trusted, 'rps')}x`);
  console.log(`  p99 latency trusted GET / full document: ${ratio(runs.trusted, 'p99')}x`);
  console.log(`  requests/s 304 revalidation / full document: ${ratio(runs.revalidated, 'rps')}x`);
  console.log(`  p99 latency 304 revalidation / full document: ${ratio(runs.revalidated, 'p99')}x`);
  const perGet = (key: keyof Run) => (mean(runs.revalidated, key) / mean(runs.trusted, key)).toFixed(2);
  console.log(`  requests/s 304 revalidation / the same GET executed (goal ≥ 3x): ${perGet('rps')}x`);
  console.log(`  p99 latency 304 revalidation / the same GET executed: ${perGet('p99')}x`);
  console.log(
    `  request bytes trusted GET / full document: ${(requestBytes(trusted) / requestBytes(document)).toFixed(2)}x`,
  );
  console.log(`  response bytes 304 revalidation / full document: ${ratio(runs.revalidated, 'bytes')}x`);

  await bench.stop();
}

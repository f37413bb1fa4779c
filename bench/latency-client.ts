import { Agent } from 'node:http';
import { postOnce } from './http-post.js';

/**
 * A closed-loop load that times every answer to the microsecond, run as a process of its own by
 * `latencyFromAnotherProcess` (load-process.ts): `connections` loops, each sending its next request
 * as soon as the previous is answered, for `seconds`. autocannon keeps latencies in whole
 * milliseconds, 20–33% of a 3–6 ms p99; this keeps every sample. The first answer of each connection
 * (its TCP handshake) is not counted. Prints one JSON line: requests/s, p99 in ms, answers by status class.
 */
interface Spec {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  seconds: number;
}

const spec = JSON.parse(process.argv[2]!) as Spec;
const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
const body = Buffer.from(spec.body);
const post = (): Promise<number> => postOnce(spec.url, agent, spec.headers, body);

const latencies: number[] = [];
const statuses: Record<string, number> = { '2xx': 0, '4xx': 0, '5xx': 0 };

async function connection(deadline: number): Promise<void> {
  await post();
  while (performance.now() < deadline) {
    const started = performance.now();
    const status = await post();
    latencies.push(performance.now() - started);
    const kind = `${Math.floor(status / 100)}xx`;
    statuses[kind] = (statuses[kind] ?? 0) + 1;
  }
}

const from = Date.now();
const measuredFrom = performance.now();
const deadline = measuredFrom + spec.seconds * 1000;
await Promise.all(Array.from({ length: spec.connections }, () => connection(deadline)));
const wallSeconds = (performance.now() - measuredFrom) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] ?? 0;
process.stdout.write(
  `${JSON.stringify({ rps: latencies.length / wallSeconds, p99, samples: latencies.length, statuses, from, to: Date.now() })}\n`,
);

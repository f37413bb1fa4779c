import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type autocannon from 'autocannon';

const AUTOCANNON = fileURLToPath(new URL('../node_modules/.bin/autocannon', import.meta.url));

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
}

/**
 * A load run by autocannon's command line in a process of its own, so that the client's work (making
 * and parsing every request and answer) does not run on the server's event loop and count as the
 * server's. What a load measures is then the server: with the client in the same process, a cheap
 * answer and an expensive one share the client's fixed cost and their ratio shrinks towards 1.
 */
export async function loadFromAnotherProcess(spec: LoadSpec): Promise<autocannon.Result> {
  const args = ['-c', String(spec.connections), '-d', String(spec.seconds), '-m', spec.method, '-j'];
  for (const [name, value] of Object.entries(spec.headers)) args.push('-H', `${name}=${value}`);
  if (spec.body !== undefined) args.push('-b', spec.body);
  const { stdout } = await promisify(execFile)(AUTOCANNON, [...args, spec.url], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as autocannon.Result;
}

/** What a latency load measured: requests/s, the p99 in milliseconds to the microsecond, answers by status class. */
export interface LatencyResult {
  rps: number;
  p99: number;
  samples: number;
  statuses: Record<string, number>;
  /** When the measured window began and ended (ms since the epoch). */
  from: number;
  to: number;
}

const LATENCY_CLIENT = fileURLToPath(new URL('./latency-client.ts', import.meta.url));
const ALTERNATING_CLIENT = fileURLToPath(new URL('./alternating-client.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * A closed-loop POST load timing every answer (latency-client.ts), in a process of its own: for a
 * p99 of a few milliseconds, autocannon's whole milliseconds are too coarse.
 */
export async function latencyFromAnotherProcess(
  spec: Omit<LoadSpec, 'method'> & { body: string },
): Promise<LatencyResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', LATENCY_CLIENT, JSON.stringify(spec)],
    { cwd: ROOT, maxBuffer: 1024 * 1024 },
  );
  return JSON.parse(stdout) as LatencyResult;
}

/** One server's figures in one segment of an alternating load: requests/s, and its CPU time per request (µs). */
export interface AlternatingSegment {
  rate: number;
  cpuPerRequest: number | null;
}

/**
 * A closed-loop POST load alternating between two servers, segment by segment, in pairs of
 * alternating order (alternating-client.ts), in a process of its own: per pair, each server's
 * figures, in the order of `targets`.
 */
export async function alternatingLoad(
  spec: AlternatingSpec,
): Promise<{ pairs: Array<[AlternatingSegment, AlternatingSegment]>; statuses: Record<string, number> }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', ALTERNATING_CLIENT, JSON.stringify(spec)],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout);
}

/** An alternating load: its two servers, the body it posts, its connections, its pairs and their segments (ms). */
export interface AlternatingSpec {
  targets: [AlternatingTarget, AlternatingTarget];
  body: string;
  connections: number;
  pairs: number;
  segmentMs: number;
  warmUpMs: number;
}

/** A server of an alternating load: where to send, with which headers, and its process (for its CPU time). */
export interface AlternatingTarget {
  url: string;
  headers: Record<string, string>;
  pid: number;
}

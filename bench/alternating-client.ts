import { readdirSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { postOnce } from './http-post.js';
import type { AlternatingSegment as Segment, AlternatingSpec } from './load-process.js';

/**
 * A closed-loop load that alternates between two servers, run as a process of its own by
 * `alternatingLoad` (load-process.ts): `connections` loops, each sending its next request as soon as
 * the previous is answered, against one server for `segmentMs`, then against the other, in pairs of
 * alternating order (first–second, second–first, …) so that a drift of the machine's speed falls on
 * both alike. After a warm-up of each (`warmUpMs`), it counts the answers of every segment and the CPU time the
 * server's process (all its threads: `pid`) spent meanwhile, from Linux's /proc (null elsewhere).
 * Prints one JSON line: per pair, each server's requests/s and CPU time per request (µs).
 */
const spec = JSON.parse(process.argv[2]!) as AlternatingSpec;
const body = Buffer.from(spec.body);
const agents = spec.targets.map(() => new Agent({ keepAlive: true, maxSockets: spec.connections }));
const statuses: Record<string, number> = { '2xx': 0, '4xx': 0, '5xx': 0 };

/** CPU time of every thread of a process so far, in ns (the first field of each thread's schedstat). */
function cpuNs(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce(
      (sum, task) => sum + Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]),
      0,
    );
  } catch {
    return null;
  }
}

async function segment(index: 0 | 1, ms: number): Promise<Segment> {
  const target = spec.targets[index];
  const agent = agents[index]!;
  const cpuBefore = cpuNs(target.pid);
  const started = performance.now();
  const deadline = started + ms;
  let answered = 0;
  await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      while (performance.now() < deadline) {
        const status = await postOnce(target.url, agent, target.headers, body);
        answered += 1;
        const kind = `${Math.floor(status / 100)}xx`;
        statuses[kind] = (statuses[kind] ?? 0) + 1;
      }
    }),
  );
  const wallMs = performance.now() - started;
  const cpuAfter = cpuNs(target.pid);
  return {
    rate: answered / (wallMs / 1000),
    cpuPerRequest: cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / 1000 / answered,
  };
}

// Warmed up in alternating segments too: a server's idle connections must not outlast its
// keep-alive timeout (5 s), which would close one as the client reuses it.
for (let warmed = 0; warmed < spec.warmUpMs; warmed += spec.segmentMs) {
  await segment(0, spec.segmentMs);
  await segment(1, spec.segmentMs);
}
const pairs: Array<[Segment, Segment]> = [];
for (let pair = 0; pair < spec.pairs; pair += 1) {
  if (pair % 2 === 0) {
    const first = await segment(0, spec.segmentMs);
    pairs.push([first, await segment(1, spec.segmentMs)]);
  } else {
    const second = await segment(1, spec.segmentMs);
    pairs.push([await segment(0, spec.segmentMs), second]);
  }
}
for (const agent of agents) agent.destroy();
process.stdout.write(`${JSON.stringify({ pairs, statuses })}\n`);

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import type { Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo } from '../src/index.js';
import { embedded } from './harness.js';

/** Documents of any shape, with a string or number _id. */
type AnyDoc = Document & { _id: string | number };

const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));
const KILLS = 6;

interface Acknowledged {
  inserts: string[];
  pairs: string[];
  counters: Map<string, number>;
}

/**
 * Runs the writer on the directory and kills it with SIGKILL at a random moment: after a random
 * number of acknowledgements, or (one run in four) at a random time after it was spawned, which
 * may fall during its recovery of the previous run's directory.
 */
async function writeUntilKilled(dir: string, run: string): Promise<Acknowledged> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, run], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const acknowledged: Acknowledged = { inserts: [], pairs: [], counters: new Map() };
  const lines = createInterface({ input: child.stdout });
  const byTime = Math.random() < 0.25;
  const killAfterAcks = byTime ? Number.POSITIVE_INFINITY : 1 + Math.floor(Math.random() * 200);
  const timer = byTime ? setTimeout(() => child.kill('SIGKILL'), Math.random() * 2500) : undefined;
  let acks = 0;
  for await (const line of lines) {
    const [kind, id, value] = line.split(' ') as [string, string, string | undefined];
    if (kind === 'insert') acknowledged.inserts.push(id);
    else if (kind === 'pair') acknowledged.pairs.push(id);
    else if (kind === 'counter') acknowledged.counters.set(id, Number(value));
    if (kind !== 'ready' && ++acks === killAfterAcks) child.kill('SIGKILL');
  }
  clearTimeout(timer);
  const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  expect(signal).toBe('SIGKILL');
  return acknowledged;
}

describe.skipIf(!embedded)('a kill -9 at any moment', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'embedded-crash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged write, applies no transaction by halves, and always reopens', async () => {
    const everAcknowledged = new Set<string>();
    for (let run = 0; run < KILLS; run += 1) {
      const acknowledged = await writeUntilKilled(dir, `r${run}`);
      const server = await startEmbeddedMongo({ dir });
      const client = await MongoClient.connect(server.uri);
      try {
        const items = client.db('crash').collection<AnyDoc>('items');
        const present = new Set((await items.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id));
        for (const id of acknowledged.inserts) everAcknowledged.add(id);
        for (const id of acknowledged.pairs) everAcknowledged.add(`${id}-a`).add(`${id}-b`);
        expect([...everAcknowledged].filter((id) => !present.has(id))).toEqual([]);
        const halves = await items
          .aggregate([{ $match: { pair: { $exists: true } } }, { $group: { _id: '$pair', n: { $sum: 1 } } }])
          .toArray();
        expect(halves.filter((pair) => pair.n !== 2)).toEqual([]);
        const counters = client.db('crash').collection<AnyDoc>('counters');
        for (const [id, value] of acknowledged.counters) {
          expect((await counters.findOne({ _id: id }))?.value).toBeGreaterThanOrEqual(value);
        }
      } finally {
        await client.close();
        await server.stop();
      }
    }
    expect(everAcknowledged.size).toBeGreaterThan(0);
  }, 120_000);
});

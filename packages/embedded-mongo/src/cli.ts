import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IN_MEMORY, startEmbeddedMongo } from './index.js';

/**
 * `embedded-mongo [--port N] [--dir PATH]`: serves until SIGINT/SIGTERM, printing its URI as the
 * first line of stdout. The port defaults to PORT, else a free one; the directory to
 * EMBEDDED_DB_DIR, else `<DATA_DIR>/db` with DATA_DIR defaulting to `.data`: the same place as the
 * application's embedded default, so either can be pointed at the other's data. `--dir :memory:`
 * keeps nothing.
 */
const { values } = parseArgs({ options: { port: { type: 'string' }, dir: { type: 'string' } } });

function requestedPort(value: string | undefined): number {
  const port = Number(value ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port: ${String(value)}`);
  return port;
}

const dir = values.dir || process.env.EMBEDDED_DB_DIR || join(process.env.DATA_DIR || '.data', 'db');
const server = await startEmbeddedMongo({ port: requestedPort(values.port ?? process.env.PORT), dir });
process.stdout.write(`${server.uri}\n`);
process.stderr.write(server.dir ? `data kept in ${server.dir}\n` : `in memory (${IN_MEMORY}): nothing is kept\n`);

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  void server.stop().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { uniqueDbName } from '../support/mongo.js';

/**
 * Tracing as `npm start` wires it (src/main.ts under tsx, OTEL_EXPORTER_OTLP_ENDPOINT set), exported
 * over OTLP/HTTP to a collector on loopback: the batch holds the GraphQL spans of a request and its
 * tenant. The strings are read from the protobuf bodies as they are (span names and attribute keys
 * and values travel as plain UTF-8).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let collector: Server;
let dataDir: string;
const bodies: string[] = [];
const arrivals: Array<() => void> = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-tracing-'));
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(Buffer.concat(chunks).toString('latin1'));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      for (const arrived of arrivals.splice(0)) arrived();
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => collector?.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

/** Resolves once an exported batch contains every one of `words`. */
async function exported(words: string[]): Promise<string> {
  for (;;) {
    const body = bodies.find((candidate) => words.every((word) => candidate.includes(word)));
    if (body !== undefined) return body;
    await new Promise<void>((resolve) => arrivals.push(resolve));
  }
}

it('npm start sends the spans of a GraphQL request, with its tenant, to the OTLP endpoint', async () => {
  const external = process.env.MONGODB_URI;
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...(external ? { MONGODB_URI: external, MONGODB_DB: uniqueDbName('tracing'), SEED: 'true' } : {}),
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let url: string | undefined;
    for await (const text of createInterface({ input: child.stdout })) {
      const line = JSON.parse(text) as { msg?: string; url?: string };
      if (line.msg === 'tenantgraph listening') {
        url = line.url;
        break;
      }
    }
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 600);
    const response = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'query TracedParks { parks(first: 2) { nodes { name } } }' }),
    });
    expect(response.status).toBe(200);
    const batch = await exported(['TracedParks', 'graphql.parse', 'graphql.validate', 'tenantgraph.tenant']);
    expect(batch).toContain('texas');
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}, 60_000);

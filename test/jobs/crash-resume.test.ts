import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { seedId } from '../../src/seed/seed.js';
import { published } from '../events/support.js';
import { startServerProcess, type Child } from '../support/child-process.js';
import { startTestMongo, uniqueDbName, type TestMongo } from '../support/mongo.js';
import { startServerOn, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';
import { CREATE_IMPORT, JOB, finished, type CreatedImport, type Job } from './support.js';

const TEXAS = seedId('tenant:texas');
const ROWS = 10_000;
/** Short leases, so that the survivor takes the job over about a second after the crash. */
const JOB_ENV = { JOB_LEASE_MS: '1000', JOB_POLL_MS: '50' };

let mongo: TestMongo;
let dataDir: string;
let dbName: string;
let first: Child | undefined;
let survivor: TestServer | undefined;

beforeAll(async () => {
  mongo = await startTestMongo();
  dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-crash-'));
  dbName = uniqueDbName('crash');
});

afterAll(async () => {
  first?.process.kill('SIGKILL');
  await survivor?.stop();
  await mongo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function post<T>(url: string, token: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data!;
}

describe('an import job whose instance is killed mid-way', () => {
  it('is finished by another instance with every row written exactly once', async () => {
    first = startServerProcess(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/main.ts'], {
      PORT: '0',
      LOG_LEVEL: 'info',
      MONGODB_URI: mongo.uri,
      MONGODB_DB: dbName,
      DATA_DIR: dataDir,
      SEED: 'true',
      ...JOB_ENV,
    });
    const listening = await first.line((line) => line.msg === 'tenantgraph listening', 60_000);
    const url = String(listening.url).replace(/\/graphql$/, '');
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 600);
    const { createImportJob: created } = await post<{ createImportJob: CreatedImport }>(url, token, CREATE_IMPORT, {
      input: { entity: 'PARK', format: 'NDJSON' },
    });
    const lines = Array.from({ length: ROWS }, (_, index) =>
      JSON.stringify({ name: `Crash park ${index + 1}`, capacity: 1 }),
    );
    expect((await fetch(created.uploadUrl, { method: 'PUT', body: lines.join('\n') })).status).toBe(201);

    // kill -9 once the first instance has committed some batches, well before the end.
    let atKill: Job | null = null;
    await until(
      async () => {
        const { job } = await post<{ job: Job }>(url, token, JOB, { id: created.job.id });
        atKill = job;
        return job.rowsWritten > 0;
      },
      'the first batches of the import',
      60_000,
    );
    first.process.kill('SIGKILL');
    await first.exited;
    expect(atKill!.status).toBe('RUNNING');
    expect(atKill!.rowsWritten).toBeLessThan(ROWS);

    survivor = await startServerOn({ mongodbUri: mongo.uri, mongodbDb: dbName, dataDir }, JOB_ENV);
    const job = await finished(survivor, { auth: token }, created.job.id, 120_000);
    expect(job).toMatchObject({ status: 'SUCCEEDED', linesRead: ROWS, rowsWritten: ROWS, rowsFailed: 0 });

    const db = survivor.app.services.database.forTenant(TEXAS);
    const names = await db
      .collection('parks')
      .aggregate<{ _id: null; rows: number; names: string[] }>([
        { $match: { name: /^Crash park / } },
        { $group: { _id: null, rows: { $sum: 1 }, names: { $addToSet: '$name' } } },
      ]);
    expect(names[0]?.rows).toBe(ROWS);
    expect(new Set(names[0]?.names).size).toBe(ROWS);
    // Once every event is published, each row has exactly one.
    await published(survivor, TEXAS, 60_000);
    expect(await db.collection('events').count({ 'data.name': /^Crash park / })).toBe(ROWS);
  }, 240_000);
});

import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startApp, type RunningApp } from '../../src/server/app.js';
import { tenantIdOf } from '../events/support.js';
import { type ArchivedFile, archiveContents, tenantDocuments, untar } from '../support/admin.js';
import { codes, startTestServer, type TestServer } from '../support/server.js';

/** `npm run admin` (CONTRACT.md section 1): the operator API's operations on the command line. */
const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

async function admin(env: Record<string, string>, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', '--conditions=development', 'scripts/admin.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env }, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run admin against MONGODB_URI', () => {
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer();
    const { config } = server.app.services;
    env = { MONGODB_URI: config.mongodbUri!, MONGODB_DB: config.mongodbDb };
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('grants OPERATOR by email, recorded in the audit log as the command line’s user', async () => {
    const refused = await fetch(`${server.url}/admin/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await server.token('mallory@example.com')}`,
      },
      body: JSON.stringify({ query: '{ tenants { slug } }' }),
    });
    expect(refused.status).toBe(403);

    const granted = await admin(env, 'operator', 'grant', 'Mallory@Example.com');
    expect(granted).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(granted.stdout)).toEqual({ email: 'mallory@example.com', operator: true });

    const allowed = await fetch(`${server.url}/admin/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await server.token('mallory@example.com')}`,
      },
      body: JSON.stringify({ query: '{ auditLog(first: 1) { actor action details } }' }),
    });
    const body = (await allowed.json()) as { data: { auditLog: Array<{ actor: string; action: string }> } };
    expect(body.data.auditLog[0]).toMatchObject({ actor: `cli:${userInfo().username}`, action: 'grantOperator' });
  });

  it('suspends and resumes a tenant; refuses bad input with a one-line message and changes nothing', async () => {
    const [usage, unknown, suspended] = await Promise.all([
      admin(env, 'tenant', 'suspend', 'texas'),
      admin(env, 'tenant', 'resume', 'atlantis'),
      admin(env, 'tenant', 'suspend', 'texas', '--reason', 'contract ended'),
    ]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^admin: tenant suspend needs --reason/);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('admin: Tenant not found\n');
    expect(suspended.code).toBe(0);
    expect(JSON.parse(suspended.stdout)).toMatchObject({ slug: 'texas', suspendReason: 'contract ended' });
    expect(codes(await server.as('alice@example.com', '{ parks { nodes { id } } }', { tenant: 'texas' }))).toEqual([
      'TENANT_SUSPENDED',
    ]);
    expect((await admin(env, 'tenant', 'resume', 'texas')).code).toBe(0);
    expect(
      (await server.as('alice@example.com', '{ parks { nodes { id } } }', { tenant: 'texas' })).errors,
    ).toBeUndefined();
  });

  it('prints a tenant’s usage ledger per hour; refuses a range it cannot answer', async () => {
    const from = new Date(Date.now() - 3600_000).toISOString();
    for (let i = 0; i < 3; i += 1) await server.as('carol@example.com', '{ parks { nodes { id } } }');
    await server.app.services.limits.usage.flush();
    const [hours, noFrom, badFrom] = await Promise.all([
      admin(env, 'tenant', 'usage', 'colorado', '--from', from),
      admin(env, 'tenant', 'usage', 'colorado'),
      admin(env, 'tenant', 'usage', 'colorado', '--from', 'last week'),
    ]);
    expect(hours).toMatchObject({ code: 0, stderr: '' });
    const ledger = JSON.parse(hours.stdout) as Array<{ hour: string; requests: number }>;
    expect(ledger.reduce((sum, hour) => sum + hour.requests, 0)).toBeGreaterThanOrEqual(3);
    expect(noFrom.code).toBe(2);
    expect(noFrom.stderr).toMatch(/^admin: tenant usage needs --from/);
    expect(badFrom).toMatchObject({ code: 1, stderr: 'admin: from must be an ISO 8601 date-time\n' });
  });

  it('moves a tenant to a database of its own while the server serves it, and back', async () => {
    const moved = await admin(env, 'tenant', 'move', 'colorado', '--database', 'tg_colorado');
    expect(moved).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(moved.stdout)).toMatchObject({
      tenant: 'colorado',
      from: { cluster: null, database: null },
      to: { cluster: null, database: 'tg_colorado' },
      copied: expect.objectContaining({ parks: expect.any(Number) }),
    });
    // The running server learnt it from the registry: its requests are served from the new database.
    const parks = await server.as<{ parks: { nodes: unknown[] } }>('carol@example.com', '{ parks { nodes { id } } }', {
      tenant: 'colorado',
    });
    expect(parks.data!.parks.nodes.length).toBe(JSON.parse(moved.stdout).copied.parks);
    expect(server.app.services.database.placementOf(tenantIdOf('colorado'))).toEqual({
      cluster: null,
      database: 'tg_colorado',
    });
    const unknownCluster = await admin(env, 'tenant', 'move', 'colorado', '--cluster', 'MARS');
    expect(unknownCluster.code).toBe(1);
    expect(unknownCluster.stderr).toMatch(/MONGODB_URI_MARS is not set/);
    expect((await admin(env, 'tenant', 'move', 'colorado')).code).toBe(0);
    expect(server.app.services.database.placementOf(tenantIdOf('colorado'))).toEqual({ cluster: null, database: null });
  });

  it('exports a tenant into a local file whose manifest checks out against the archive and the database', async () => {
    const written = await server.as('bob@example.com', 'mutation { createPark(input: { name: "Archived" }) { id } }', {
      tenant: 'washington',
    });
    expect(written.errors).toBeUndefined();
    // The command line is another process: it archives what the server has written. The server writes
    // its usage ledger in the background (USAGE_FLUSH_MS), so the write's usage is written first, lest
    // it land in the database between the export and the comparison below.
    await server.app.services.limits.usage.flush();
    const dir = await mkdtemp(join(tmpdir(), 'tenantgraph-export-'));
    try {
      const out = join(dir, 'washington.tar');
      const exported = await admin(env, 'tenant', 'export', 'washington', '--out', out);
      expect(exported).toMatchObject({ code: 0, stderr: '' });
      const printed = JSON.parse(exported.stdout) as { tenant: string; file: string; files: ArchivedFile[] };
      expect(printed).toMatchObject({ tenant: 'washington', file: out });

      const { manifest, actual, unlisted } = archiveContents(await untar(await readFile(out)));
      expect(manifest).toMatchObject({ tenant: { id: tenantIdOf('washington'), slug: 'washington' } });
      expect(manifest!.files).toEqual(printed.files);
      expect(actual).toEqual(manifest!.files);
      expect(unlisted).toEqual([]);
      // Every collection holding washington's documents, with as many (its link secret stays on the server;
      // the rate limiter's background reports are not the tenant's data, and come and go).
      const {
        rateLimitConsumption: _reports,
        exportLinkSecrets: _secret,
        ...stored
      } = await tenantDocuments(server, tenantIdOf('washington'));
      const archived = manifest!.files.filter((file) => file.collection !== 'rateLimitConsumption');
      expect(Object.fromEntries(archived.map((file) => [file.collection, file.count]))).toEqual(stored);
      expect(stored.events).toBeGreaterThan(0);

      // Nothing of it is left in the staging store, and the audit log has the export, by the command line.
      expect(await stagedFiles(server)).toEqual([]);
      const audit = await admin(env, 'audit', '--tenant', 'washington', '--first', '1');
      expect(JSON.parse(audit.stdout)).toMatchObject([{ actor: `cli:${userInfo().username}`, action: 'exportTenant' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exports a tenant behind a download link of the server at PUBLIC_URL', async () => {
    const exported = await admin({ ...env, PUBLIC_URL: server.url }, 'tenant', 'export', 'colorado', '--ttl', '60');
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    const printed = JSON.parse(exported.stdout) as { url: string; expiresAt: string; files: ArchivedFile[] };
    expect(printed.url).toMatch(new RegExp(`^${server.url}/admin/exports/`));
    expect(Date.parse(printed.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    const download = await fetch(printed.url);
    expect(download.status).toBe(200);
    const { manifest, actual } = archiveContents(await untar(Buffer.from(await download.arrayBuffer())));
    expect(manifest!.files).toEqual(printed.files);
    expect(actual).toEqual(printed.files);
  });

  it('refuses an export with nowhere to go, or of an unknown tenant, writing no file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tenantgraph-export-'));
    try {
      const out = join(dir, 'atlantis.tar');
      const [nowhere, both, unknown] = await Promise.all([
        admin(env, 'tenant', 'export', 'texas'),
        admin(env, 'tenant', 'export', 'texas', '--out', out, '--ttl', '60'),
        admin(env, 'tenant', 'export', 'atlantis', '--out', out),
      ]);
      expect(nowhere.code).toBe(2);
      expect(nowhere.stderr).toMatch(/^admin: tenant export needs --out <file>, or PUBLIC_URL/);
      expect(both.code).toBe(2);
      expect(unknown).toMatchObject({ code: 1, stderr: 'admin: Tenant not found\n' });
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The names of the files in the server's staging store (GridFS). */
async function stagedFiles(server: TestServer): Promise<string[]> {
  const { mongodbUri, mongodbDb } = server.app.services.config;
  const client = new MongoClient(mongodbUri!);
  try {
    const files = await client.db(mongodbDb).collection('staging.files').find({}).toArray();
    return files.map((file) => String(file.filename));
  } finally {
    await client.close();
  }
}

describe('npm run admin against the embedded default of DATA_DIR', () => {
  let dataDir: string;
  let app: RunningApp;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-admin-'));
    app = await startApp(
      loadConfig({ PORT: '0', DATA_DIR: dataDir, SEED: 'true', LOG_LEVEL: 'silent' }),
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('finds the running server through the data directory and acts on its database', async () => {
    const created = await admin(
      { DATA_DIR: dataDir },
      'tenant',
      'create',
      'utah',
      'Utah State Parks',
      '--plan',
      'free',
    );
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({ slug: 'utah', plan: 'free' });
    const stored = await app.services.database.platform.collection('tenants').findOne({ slug: 'utah' });
    expect(stored).toMatchObject({ name: 'Utah State Parks', plan: 'free' });
  });
});

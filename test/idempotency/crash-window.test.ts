import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { toGlobalId } from '../../src/modules/global-id.js';
import { fromGlobalId } from '../../src/modules/global-id.js';
import { seedId } from '../../src/seed/seed.js';
import { finished } from '../jobs/support.js';
import { startServerProcess, type Child } from '../support/child-process.js';
import { startTestMongo, uniqueDbName, type TestMongo } from '../support/mongo.js';
import { startServerOn, type TestServer } from '../support/server.js';
import { startWireProxy, type WireProxy } from '../support/wire-proxy.js';

/*
 * The crash window of idempotency keys (contract section 11: a mutation is never executed without
 * its response being sent or being replayable by its key). An instance is killed with SIGKILL at the
 * worst moments of an idempotent mutation, chosen on the wire between it and the database
 * (test/support/wire-proxy.ts): right after the database committed the mutation, before the instance
 * heard of it; and while it was committing, before the commit reached the database. The client's
 * retry with the same key then goes to another instance: it replays the committed mutation, or
 * executes the uncommitted one, and either way what it creates exists exactly once. So for a
 * mutation of tenant data (createPark, in the tenant's placement), one of platform data
 * (createApiKey, in the shared database), and one whose effects are outside any transaction
 * (createExportJob: the job and its place in the queue, named from the key).
 */
const TEXAS = seedId('tenant:texas');
const CREATE = 'mutation ($input: CreateParkInput!) { createPark(input: $input) { id name } }';

let mongo: TestMongo;
let raw: MongoClient;
let dataDir: string;
let dbName: string;
let token: string;
let survivor: TestServer | undefined;
const proxies: WireProxy[] = [];
const children: Child[] = [];

beforeAll(async () => {
  mongo = await startTestMongo();
  raw = await MongoClient.connect(mongo.uri);
  dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-idempotency-crash-'));
  dbName = uniqueDbName('idemcrash');
  token = await (await loadOrCreateDevIssuer(dataDir)).sign(
    { subject: 'alice@example.com', email: 'alice@example.com' },
    600,
  );
});

afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await survivor?.stop();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await raw?.close();
  await mongo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** An instance in a process of its own, talking to the database through a wire proxy. */
async function doomedInstance(): Promise<{ url: string; child: Child; proxy: WireProxy }> {
  const proxy = await startWireProxy(mongo.uri);
  proxies.push(proxy);
  const child = startServerProcess(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/main.ts'], {
    PORT: '0',
    LOG_LEVEL: 'info',
    MONGODB_URI: proxy.uri,
    MONGODB_DB: dbName,
    DATA_DIR: dataDir,
    SEED: 'true',
  });
  children.push(child);
  const listening = await child.line((line) => line.msg === 'tenantgraph listening', 60_000);
  return { url: String(listening.url).replace(/\/graphql$/, ''), child, proxy };
}

async function keyed<TData>(url: string, key: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: TData; errors?: unknown };
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), body };
}

const createPark = (url: string, key: string, name: string) =>
  keyed<{ createPark: { id: string; name: string } }>(url, key, CREATE, { input: { name } });

const CREATE_API_KEY =
  'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id name } secret } }';
const createApiKey = (url: string, key: string, name: string) =>
  keyed<{ createApiKey: { apiKey: { id: string; name: string }; secret: string } }>(url, key, CREATE_API_KEY, {
    input: { name, roles: ['VIEWER'] },
  });
const apiKeysNamed = (name: string) => raw.db(dbName).collection('apiKeys').find({ tenantId: TEXAS, name }).toArray();

const CREATE_EXPORT = 'mutation ($input: CreateExportJobInput!) { createExportJob(input: $input) { id } }';
const createExportJob = (url: string, key: string, format: 'CSV' | 'NDJSON') =>
  keyed<{ createExportJob: { id: string } }>(url, key, CREATE_EXPORT, {
    input: { operation: 'ParksWithCapacity', format },
  });
const exportJobs = (format: 'CSV' | 'NDJSON') =>
  raw.db(dbName).collection('jobs').find({ tenantId: TEXAS, kind: 'EXPORT', format }).toArray();

const parksNamed = (name: string) => raw.db(dbName).collection('parks').find({ tenantId: TEXAS, name }).toArray();

async function survivingInstance(): Promise<TestServer> {
  survivor ??= await startServerOn({ mongodbUri: mongo.uri, mongodbDb: dbName, dataDir });
  return survivor;
}

describe('an instance killed in the middle of an idempotent mutation', () => {
  it('killed after the commit, before answering: the retry elsewhere replays, nothing runs twice', async () => {
    const { url, child, proxy } = await doomedInstance();
    const held = proxy.holdCommit('parks', 'reply');
    const unanswered = createPark(url, 'crash-after-commit', 'Committed Unanswered');
    await held;
    child.process.kill('SIGKILL');
    await expect(unanswered).rejects.toThrow();
    await child.exited;
    // The mutation did commit: the client just never heard.
    const [committed, ...others] = await parksNamed('Committed Unanswered');
    expect(others).toEqual([]);

    const retry = await createPark((await survivingInstance()).url, 'crash-after-commit', 'Committed Unanswered');
    expect(retry.status).toBe(200);
    expect(retry.replayed).toBe('true');
    expect(retry.body.data?.createPark.name).toBe('Committed Unanswered');
    expect(await parksNamed('Committed Unanswered')).toEqual([committed]);
    // Its one event, staged or already published.
    const subject = toGlobalId('Park', String(committed!._id));
    expect(retry.body.data?.createPark.id).toBe(subject);
    const eventsOf = (collection: string) => raw.db(dbName).collection(collection).countDocuments({ subject });
    expect((await eventsOf('eventOutbox')) + (await eventsOf('events'))).toBe(1);
  }, 120_000);

  it('killed while committing, before the commit reached the database: the retry elsewhere executes once', async () => {
    const { url, child, proxy } = await doomedInstance();
    const held = proxy.holdCommit('parks', 'request');
    const unanswered = createPark(url, 'crash-in-commit', 'Never Committed Before');
    await held;
    child.process.kill('SIGKILL');
    await expect(unanswered).rejects.toThrow();
    await child.exited;
    expect(await parksNamed('Never Committed Before')).toEqual([]);

    // The dead instance's transaction is still open on the database, holding what it wrote until the
    // server's transaction lifetime (60 s) ends it: the retry ends it instead, once the claim lapsed.
    const started = Date.now();
    const retry = await createPark((await survivingInstance()).url, 'crash-in-commit', 'Never Committed Before');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(retry.status).toBe(200);
    expect(retry.replayed).toBeNull();
    const parks = await parksNamed('Never Committed Before');
    expect(parks.map((park) => String(park._id))).toEqual([expect.any(String)]);
    expect(retry.body.data?.createPark.name).toBe('Never Committed Before');
    const again = await createPark(survivor!.url, 'crash-in-commit', 'Never Committed Before');
    expect(again.replayed).toBe('true');
    expect(again.body.data).toEqual(retry.body.data);
  }, 120_000);

  it('createApiKey killed after the commit, before answering: the retry elsewhere replays the same key', async () => {
    const { url, child, proxy } = await doomedInstance();
    const held = proxy.holdCommit('apiKeys', 'reply');
    const unanswered = createApiKey(url, 'crash-api-key', 'committed unanswered key');
    await held;
    child.process.kill('SIGKILL');
    await expect(unanswered).rejects.toThrow();
    await child.exited;
    const [committed, ...others] = await apiKeysNamed('committed unanswered key');
    expect(others).toEqual([]);

    const retry = await createApiKey((await survivingInstance()).url, 'crash-api-key', 'committed unanswered key');
    expect(retry).toMatchObject({ status: 200, replayed: 'true' });
    expect(retry.body.data?.createApiKey.apiKey.id).toBe(toGlobalId('ApiKey', String(committed!._id)));
    expect(await apiKeysNamed('committed unanswered key')).toEqual([committed]);
    // The replayed secret is the stored key's own.
    const bySecret = await fetch(`${survivor!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${retry.body.data?.createApiKey.secret}` },
      body: JSON.stringify({ query: '{ viewer { user { email } } }' }),
    });
    expect(await bySecret.json()).toEqual({
      data: { viewer: { user: { email: 'api-key:committed unanswered key' } } },
      extensions: expect.anything(),
    });
  }, 120_000);

  it('createApiKey killed while committing: the retry elsewhere ends its transaction and creates the key once', async () => {
    const { url, child, proxy } = await doomedInstance();
    const held = proxy.holdCommit('apiKeys', 'request');
    const unanswered = createApiKey(url, 'crash-api-key-in-commit', 'never committed key');
    await held;
    child.process.kill('SIGKILL');
    await expect(unanswered).rejects.toThrow();
    await child.exited;
    expect(await apiKeysNamed('never committed key')).toEqual([]);

    // The dead instance's transaction of the shared database holds the claim: the retry ends it there.
    const started = Date.now();
    const retry = await createApiKey((await survivingInstance()).url, 'crash-api-key-in-commit', 'never committed key');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(retry).toMatchObject({ status: 200, replayed: null });
    const [created, ...others] = await apiKeysNamed('never committed key');
    expect(others).toEqual([]);
    expect(retry.body.data?.createApiKey.apiKey.id).toBe(toGlobalId('ApiKey', String(created!._id)));
  }, 120_000);

  it.each([
    ['written, before it was queued', 'jobs', 'CSV'],
    ['written and queued, before answering', 'jobQueue', 'NDJSON'],
  ] as const)(
    'createExportJob killed with its job %s: the retry elsewhere answers with that job, which runs once',
    async (_moment, collection, format) => {
      const { url, child, proxy } = await doomedInstance();
      const held = proxy.holdWrite(collection, 'reply');
      const unanswered = createExportJob(url, `crash-export-${format}`, format);
      await held;
      child.process.kill('SIGKILL');
      await expect(unanswered).rejects.toThrow();
      await child.exited;
      const [written, ...others] = await exportJobs(format);
      expect(others).toEqual([]);

      // Once the dead instance's claim lapsed, the retry executes again: the job's id is derived from
      // the key's claim, so it finds that job (and queues it if it was not) instead of creating one.
      const instance = await survivingInstance();
      const retry = await createExportJob(instance.url, `crash-export-${format}`, format);
      expect(retry).toMatchObject({ status: 200, replayed: null });
      expect(fromGlobalId('Job', retry.body.data?.createExportJob.id)).toBe(String(written!._id));
      expect((await exportJobs(format)).map((job) => String(job._id))).toEqual([String(written!._id)]);
      const job = await finished(instance, { auth: token }, retry.body.data!.createExportJob.id, 60_000);
      expect(job.status).toBe('SUCCEEDED');
      const again = await createExportJob(instance.url, `crash-export-${format}`, format);
      expect(again).toMatchObject({ replayed: 'true', body: { data: retry.body.data } });
    },
    120_000,
  );
});

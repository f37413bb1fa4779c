import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { Binary, MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/modules/global-id.js';
import { UPLOAD_MISSED } from '../../src/jobs/job-service.js';
import { seedId } from '../../src/seed/seed.js';
import { startPeerServer, startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';
import {
  CANCEL,
  CREATE_EXPORT,
  asCaller,
  callerOf,
  createImport,
  finished,
  followJob,
  readJob,
  upload,
  type Caller,
  type Job,
} from './support.js';

/*
 * Staged files are deleted once their time is over: an export's file EXPORT_FILE_TTL_SECONDS after it
 * was written, an import's file when its import ends (or, cancelled, at the next sweep), any file
 * whose job is gone once its valet URLs' lifetime is over; never a file whose job is still queued.
 * The sweeps here are told the time (a clock moved forward) instead of waiting for it.
 */

const TEXAS = seedId('tenant:texas');
const HOUR = 3600 * 1000;
const UNFINISHED_GRACE_MS = 2 * HOUR;

/** The instance clients talk to; it runs no job itself (JOB_WORKERS=0) and sweeps only when told. */
let api: TestServer;
let alice: Caller;

beforeAll(async () => {
  api = await startTestServer({
    JOB_WORKERS: '0',
    STAGING_SWEEP_MS: '0',
    EXPORT_FILE_TTL_SECONDS: '600',
    STAGING_UNFINISHED_GRACE_SECONDS: String(UNFINISHED_GRACE_MS / 1000),
  });
  alice = await callerOf(api, 'alice@example.com');
});

afterAll(async () => {
  await api?.stop();
});

const rawId = (job: Pick<Job, 'id'>) => fromGlobalId('Job', job.id)!;
/** The size of a staged file as the store holds it, or null when it holds none. */
const stored = (server: TestServer, job: Pick<Job, 'id'>, file: string) =>
  server.app.services.staging.size(TEXAS, rawId(job), file);
const sweepAt = (server: TestServer, at: number) => server.app.services.jobs.sweepStagedFiles(new Date(at));

describe('while no instance runs jobs', () => {
  it('keeps the file of a queued import however late it is, and sweeps it once the job is cancelled', async () => {
    const created = await createImport(api, alice, { entity: 'PARK', format: 'CSV' });
    expect((await upload(created.uploadUrl, 'name\nWaiting Park\n')).status).toBe(201);
    expect((await readJob(api, alice, created.job.id)).data?.job?.status).toBe('PENDING');

    await sweepAt(api, Date.now() + 48 * HOUR);
    expect(await stored(api, created.job, 'input.csv')).toBe(18);

    const cancelled = await asCaller<{ cancelJob: Job }>(api, alice, CANCEL, { id: created.job.id });
    expect(cancelled.data?.cancelJob.status).toBe('CANCELLED');
    expect(await sweepAt(api, Date.now())).toBeGreaterThanOrEqual(1);
    expect(await stored(api, created.job, 'input.csv')).toBeNull();
  });

  it('ends an import FAILED once its upload URL expired unused, and its subscriber hears it', async () => {
    const unused = await createImport(api, alice, { entity: 'PARK', format: 'NDJSON' });
    const uploaded = await createImport(api, alice, { entity: 'PARK', format: 'NDJSON' });
    expect((await upload(uploaded.uploadUrl, '{"name":"Uploaded Park"}\n')).status).toBe(201);
    const expiry = Date.parse(unused.uploadExpiresAt);

    // A minute before the URL expires nothing happens; the uploaded import is queued and stays too.
    await sweepAt(api, expiry - 60_000);
    expect((await readJob(api, alice, unused.job.id)).data?.job?.status).toBe('PENDING');

    let subscribed!: () => void;
    const answered = new Promise<void>((resolve) => (subscribed = resolve));
    const following = followJob(api, alice, unused.job.id, 30_000, () => subscribed());
    await answered;
    await sweepAt(api, expiry + 1000);
    const ended = (await following).at(-1);
    expect(ended).toMatchObject({ status: 'FAILED', failure: UPLOAD_MISSED, rowsWritten: 0 });
    expect(ended?.finishedAt).not.toBeNull();
    expect((await readJob(api, alice, unused.job.id)).data?.job).toMatchObject({ status: 'FAILED' });
    expect((await readJob(api, alice, uploaded.job.id)).data?.job?.status).toBe('PENDING');
  });

  it('refuses the unexpired upload URL of an import that has ended, cancelled or failed, and stores nothing', async () => {
    const cancelled = await createImport(api, alice, { entity: 'PARK', format: 'CSV' });
    await asCaller(api, alice, CANCEL, { id: cancelled.job.id });
    const failed = await createImport(api, alice, { entity: 'PARK', format: 'CSV' });
    // The sweep's clock is past the URL's expiry (the import fails); the real clock is not (the URL verifies).
    await sweepAt(api, Date.parse(failed.uploadExpiresAt) + 1000);
    expect((await readJob(api, alice, failed.job.id)).data?.job?.status).toBe('FAILED');
    for (const ended of [cancelled, failed]) {
      const response = await upload(ended.uploadUrl, 'name\nNever Stored\n');
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({
        errors: [{ message: 'This link is not valid', extensions: { code: 'FORBIDDEN' } }],
      });
      expect(await stored(api, ended.job, 'input.csv')).toBeNull();
    }
  });

  it('refuses an upload whose import is cancelled while the file arrives, and keeps nothing of it', async () => {
    const created = await createImport(api, alice, { entity: 'PARK', format: 'CSV' });
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 1) await held;
        if (sent === 2) {
          controller.close();
          return;
        }
        controller.enqueue(new TextEncoder().encode(sent === 0 ? 'name\nHalf Way\n' : 'Other Half\n'));
        sent += 1;
      },
    });
    const uploading = fetch(created.uploadUrl, { method: 'PUT', body, duplex: 'half' } as RequestInit);
    // The upload has started once its URL's single use is recorded.
    const uses = api.app.services.database.forTenant(TEXAS).collection('valetUploads');
    await until(async () => (await uses.count({ jobId: rawId(created.job) })) === 1, 'the upload to start');
    await asCaller(api, alice, CANCEL, { id: created.job.id });
    finish();
    const response = await uploading;
    expect(response.status).toBe(403);
    expect(await stored(api, created.job, 'input.csv')).toBeNull();
    expect((await readJob(api, alice, created.job.id)).data?.job?.status).toBe('CANCELLED');
  });

  it('removes the chunks of a write cut off by a crash once the grace has passed since it started, and nothing else', async () => {
    const client = new MongoClient(api.app.services.config.mongodbUri!);
    try {
      const chunks = client.db(api.app.services.config.mongodbDb).collection('staging.chunks');
      const staging = api.app.services.staging;
      await staging.put(TEXAS, 'complete', 'kept.csv', Readable.from(['kept\n']));
      // What a writer killed mid-file leaves: its first chunks, and no files document.
      const cutOff = new ObjectId();
      const partial = (n: number) => ({ files_id: cutOff, n, data: new Binary(Buffer.from(`part ${n}`)) });
      await chunks.insertMany([partial(0), partial(1)]);
      const sweepUnfinished = (at: number) => api.app.services.jobs.sweepUnfinishedWrites(new Date(at));

      // It might still be under way: kept until the grace has passed since it started.
      await sweepUnfinished(Date.now() + UNFINISHED_GRACE_MS - 60_000);
      expect(await chunks.countDocuments({ files_id: cutOff })).toBe(2);

      expect(await sweepUnfinished(Date.now() + UNFINISHED_GRACE_MS + 60_000)).toBeGreaterThanOrEqual(1);
      expect(await chunks.countDocuments({ files_id: cutOff })).toBe(0);
      // A complete file, however old, is left whole.
      const kept = await staging.get(TEXAS, 'complete', 'kept.csv');
      expect(kept && (await text(kept))).toBe('kept\n');
    } finally {
      await client.close();
    }
  });

  it('two instances sweeping at once delete each file once', async () => {
    const peer = await startPeerServer(api, { JOB_WORKERS: '0', STAGING_SWEEP_MS: '0' });
    try {
      const later = Date.now() + 2 * HOUR;
      await sweepAt(api, later);
      const staging = api.app.services.staging;
      const names = ['a.csv', 'b.csv', 'c.csv', 'd.csv', 'e.csv'];
      for (const name of names) await staging.put(TEXAS, 'abandoned', name, Readable.from([`${name}\n`]));
      const [here, there] = await Promise.all([sweepAt(api, later), sweepAt(peer, later)]);
      expect(here + there).toBe(names.length);
      for (const name of names) expect(await staging.size(TEXAS, 'abandoned', name)).toBeNull();
    } finally {
      await peer.stop();
    }
  });
});

describe('with an instance that runs the jobs', () => {
  let worker: TestServer;

  beforeAll(async () => {
    worker = await startPeerServer(api, { JOB_POLL_MS: '50', STAGING_SWEEP_MS: '0', EXPORT_FILE_TTL_SECONDS: '600' });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('an export’s file is downloadable for EXPORT_FILE_TTL_SECONDS, then swept and its URLs refused', async () => {
    const created = await asCaller<{ createExportJob: Job }>(api, alice, CREATE_EXPORT, {
      input: { operation: 'ParksWithCapacity', format: 'NDJSON' },
    });
    const job = await finished(api, alice, created.data!.createExportJob.id);
    expect(job.status).toBe('SUCCEEDED');
    // The link lives no longer than the file: 600 s here, although valet URLs live an hour by default.
    expect(Date.parse(job.downloadExpiresAt!) - Date.now()).toBeLessThanOrEqual(600_000);
    expect((await fetch(job.downloadUrl!)).status).toBe(200);

    await sweepAt(api, Date.now() + 590_000);
    expect(await stored(api, job, 'output.ndjson')).toBeGreaterThan(0);
    await sweepAt(api, Date.now() + 601_000);
    expect(await stored(api, job, 'output.ndjson')).toBeNull();
    expect((await fetch(job.downloadUrl!)).status).toBe(403);
    expect((await readJob(api, alice, job.id)).data?.job).toMatchObject({ status: 'SUCCEEDED', downloadUrl: null });
  });

  it('an import’s file is deleted when the import ends, failed as well as succeeded', async () => {
    const failing = await createImport(api, alice, { entity: 'PARK', format: 'CSV' });
    expect((await upload(failing.uploadUrl, 'name,altitude\nHigh Park,3000\n')).status).toBe(201);
    expect((await finished(api, alice, failing.job.id)).status).toBe('FAILED');
    // Deleted by the instance that ran it, right after it wrote the job's end.
    await until(async () => (await stored(api, failing.job, 'input.csv')) === null, 'the failed import’s file deleted');

    const succeeding = await createImport(api, alice, { entity: 'PARK', format: 'CSV' });
    expect((await upload(succeeding.uploadUrl, 'name\nSwept Park\n')).status).toBe(201);
    expect((await finished(api, alice, succeeding.job.id)).status).toBe('SUCCEEDED');
    await until(async () => (await stored(api, succeeding.job, 'input.csv')) === null, 'the import’s file deleted');
  });

  it('each instance sweeps by itself every STAGING_SWEEP_MS', async () => {
    const sweeper = await startPeerServer(api, { JOB_WORKERS: '0', STAGING_SWEEP_MS: '50' });
    try {
      const staging = api.app.services.staging;
      await staging.put(TEXAS, 'short-lived', 'out.csv', Readable.from(['gone soon\n']), { keepSeconds: 1 });
      expect(await staging.size(TEXAS, 'short-lived', 'out.csv')).toBe(10);
      await until(async () => (await staging.size(TEXAS, 'short-lived', 'out.csv')) === null, 'the sweep', 5000);
    } finally {
      await sweeper.stop();
    }
  });
});

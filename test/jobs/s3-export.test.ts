import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/modules/global-id.js';
import { seedId } from '../../src/seed/seed.js';
import { parseCsv } from '../bi/csv.js';
import { tenantDocuments } from '../support/admin.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { CREATE_EXPORT, asCaller, callerOf, finished, type Caller, type Job } from './support.js';

/*
 * An export job end to end with the staging in an S3-compatible store (STAGING_STORE=s3, s3rver):
 * the job writes its file into the bucket, the client downloads it through the valet URL with no other
 * credential, and once the file's time is over the sweep removes the object from the bucket.
 */

const TEXAS = seedId('tenant:texas');

let s3: TestS3;
let server: TestServer;
let alice: Caller;

beforeAll(async () => {
  s3 = await startTestS3();
  server = await startTestServer({ ...s3.env, JOB_POLL_MS: '50', STAGING_SWEEP_MS: '0' });
  alice = await callerOf(server, 'alice@example.com');
});

afterAll(async () => {
  await server?.stop();
  await s3?.stop();
});

const bucketListing = async () => (await fetch(`${s3.endpoint}/${s3.bucket}`)).text();

describe('an export job into the S3-compatible staging store', () => {
  it('writes the file into the bucket, serves it through its valet URL, and the sweep removes it later', async () => {
    const created = await asCaller<{ createExportJob: Job }>(server, alice, CREATE_EXPORT, {
      input: { operation: 'ParksWithCapacity', format: 'CSV' },
    });
    expect(created.errors).toBeUndefined();
    const job = await finished(server, alice, created.data!.createExportJob.id);
    expect(job.status).toBe('SUCCEEDED');
    const key = `${TEXAS}/${fromGlobalId('Job', job.id)}/output.csv`;
    expect(await bucketListing()).toContain(`<Key>${key}</Key>`);
    // Nothing of it in the database's GridFS.
    expect(await tenantDocuments(server, TEXAS)).not.toHaveProperty('staging.files');

    const download = await fetch(job.downloadUrl!);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...rows] = parseCsv(await download.text());
    expect(header).toEqual(['id', 'name', 'region', 'capacity']);
    expect(rows).toHaveLength(job.rowsWritten);
    expect(job.rowsWritten).toBeGreaterThan(0);

    await server.app.services.jobs.sweepStagedFiles(new Date(Date.now() + 2 * 24 * 3600 * 1000));
    expect(await bucketListing()).not.toContain(`<Key>${key}</Key>`);
    expect((await fetch(job.downloadUrl!)).status).toBe(403);
  });
});

import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedId } from '../../src/seed/seed.js';
import type { Staging } from '../../src/staging/staging.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { startTestServer, type TestServer } from '../support/server.js';

const TEXAS = seedId('tenant:texas');
const COLORADO = seedId('tenant:colorado');

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ STAGING_MAX_UPLOAD_BYTES: '4096' });
});

afterAll(async () => {
  await server?.stop();
});

const staging = () => server.app.services.staging;
const tenantDb = (tenantId: string) => server.app.services.database.forTenant(tenantId);

/** A download URL of a staged file (there is none before the file is staged, or after its time). */
async function downloadUrl(...args: Parameters<Staging['downloadUrl']>) {
  const url = await staging().downloadUrl(args[0], args[1], args[2], args[3]);
  expect(url, `no download URL for ${args[1]}/${args[2]}`).not.toBeNull();
  return url!;
}

let jobs = 0;
const nextJob = () => `job-${++jobs}`;

const put = (url: string, body: string | Buffer | ReadableStream, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'PUT', body, headers, duplex: 'half' } as RequestInit);

async function expectRefused(response: Response): Promise<void> {
  expect(response.status).toBe(403);
  expect(await response.json()).toEqual({
    errors: [{ message: 'This link is not valid', extensions: { code: 'FORBIDDEN' } }],
  });
}

/** The parts of a valet URL: `<base>/staging/<claims>.<mac>`. */
function partsOf(url: string) {
  const match = /^(.*\/staging\/)([\w-]+)\.([\w-]+)$/.exec(url);
  if (!match) throw new Error(`not a valet URL: ${url}`);
  const [, base, payload, mac] = match as unknown as [string, string, string, string];
  return { base, payload, mac, claims: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) };
}

const withClaims = (url: string, change: (claims: Record<string, unknown>) => void) => {
  const { base, mac, claims } = partsOf(url);
  change(claims);
  return `${base}${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`;
};

describe('valet URLs of the staging store, over HTTP', () => {
  it('an upload URL stores what is PUT to it, and a download URL of the same file returns it, with no other credential', async () => {
    const job = nextJob();
    const upload = await staging().uploadUrl(tenantDb(TEXAS), job, 'input.csv');
    expect(upload.url.startsWith(`${server.url}/staging/`)).toBe(true);
    const stored = await put(upload.url, 'name,region\nBig Bend,West\n');
    expect(stored.status).toBe(201);
    expect(await stored.json()).toEqual({ received: 26 });
    const download = await downloadUrl(tenantDb(TEXAS), job, 'input.csv');
    const response = await fetch(download.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toBe('name,region\nBig Bend,West\n');
    // A download URL works until it expires, as often as it is used.
    expect((await fetch(download.url)).status).toBe(200);
  });

  it('an upload URL is single-use: a second PUT is refused and the first file stays', async () => {
    const job = nextJob();
    const { url } = await staging().uploadUrl(tenantDb(TEXAS), job, 'input.ndjson');
    expect((await put(url, '{"name":"first"}\n')).status).toBe(201);
    await expectRefused(await put(url, '{"name":"second"}\n'));
    const { url: download } = await downloadUrl(tenantDb(TEXAS), job, 'input.ndjson');
    expect(await (await fetch(download)).text()).toBe('{"name":"first"}\n');
  });

  it('two concurrent PUTs to one upload URL store one file', async () => {
    const { url } = await staging().uploadUrl(tenantDb(TEXAS), nextJob(), 'input.csv');
    const statuses = (await Promise.all([put(url, 'a\n'), put(url, 'b\n'), put(url, 'c\n')])).map((r) => r.status);
    expect(statuses.sort()).toEqual([201, 403, 403]);
  });

  it('refuses a tampered, an expired, a swapped or a foreign URL with the same answer', async () => {
    const job = nextJob();
    const upload = await staging().uploadUrl(tenantDb(TEXAS), job, 'input.csv');
    expect((await put(upload.url, 'x\n')).status).toBe(201);
    const download = await downloadUrl(tenantDb(TEXAS), job, 'input.csv');
    const { base, payload, mac } = partsOf(download.url);
    const flipped = `${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`;
    await expectRefused(await fetch(`${base}${payload}.${flipped}`));
    // Another job's file, another file name, another tenant: each breaks the signature.
    await expectRefused(await fetch(withClaims(download.url, (claims) => (claims.j = 'job-other'))));
    await expectRefused(await fetch(withClaims(download.url, (claims) => (claims.f = 'other.csv'))));
    await expectRefused(await fetch(withClaims(download.url, (claims) => (claims.t = COLORADO))));
    // Lengthening the lifetime breaks it too.
    await expectRefused(await fetch(withClaims(download.url, (claims) => (claims.e = Number(claims.e) + 3600))));
    // A download URL cannot upload, an upload URL cannot download.
    await expectRefused(await put(download.url, 'overwrite\n'));
    const fresh = await staging().uploadUrl(tenantDb(TEXAS), job, 'input.csv');
    await expectRefused(await fetch(fresh.url));
    // Expired: signed genuinely, with a lifetime that has passed.
    const expired = await downloadUrl(tenantDb(TEXAS), job, 'input.csv', { ttlSeconds: -1 });
    await expectRefused(await fetch(expired.url));
    // Garbage.
    await expectRefused(await fetch(`${base}not-a-token`));
    await expectRefused(await fetch(`${base}e30.e30`));
  });

  it('a URL lives at least its lifetime (its expiry rounded up to the second), and a download URL never past its file', async () => {
    const job = nextJob();
    await staging().put(TEXAS, job, 'short.csv', Readable.from(['x\n']), { keepSeconds: 30 });
    const keptUntil = (await staging().files.deleteAfter(staging().nameOf(TEXAS, job, 'short.csv')))!;
    for (const ttlSeconds of [1, 2]) {
      const asked = Date.now();
      const download = await downloadUrl(tenantDb(TEXAS), job, 'short.csv', { ttlSeconds });
      const upload = await staging().uploadUrl(tenantDb(TEXAS), nextJob(), 'input.csv', { ttlSeconds });
      for (const url of [download, upload]) {
        expect(url.expiresAt.getTime()).toBeGreaterThanOrEqual(asked + ttlSeconds * 1000);
        // The token says the same (whole seconds): what the route enforces.
        expect(partsOf(url.url).claims.e * 1000).toBe(url.expiresAt.getTime());
      }
    }
    // Asked for an hour, a download URL of a file kept 30 s ends with the file (not after it).
    const capped = await downloadUrl(tenantDb(TEXAS), job, 'short.csv', { ttlSeconds: 3600 });
    expect(capped.expiresAt.getTime()).toBeLessThanOrEqual(keptUntil.getTime());
    expect(capped.expiresAt.getTime()).toBeGreaterThan(keptUntil.getTime() - 1000);
  });

  it('a URL signed for one tenant reaches only that tenant’s files', async () => {
    const job = nextJob();
    await staging().put(COLORADO, job, 'secret.csv', Readable.from(['colorado only\n']));
    // No URL of texas names it: texas has no such file, and its file of the same name is its own.
    expect(await staging().downloadUrl(tenantDb(TEXAS), job, 'secret.csv')).toBeNull();
    await staging().put(TEXAS, job, 'secret.csv', Readable.from(['texas only\n']));
    const texasUrl = await downloadUrl(tenantDb(TEXAS), job, 'secret.csv');
    expect(await (await fetch(texasUrl.url)).text()).toBe('texas only\n');
    await staging().delete(TEXAS, job, 'secret.csv');
    await expectRefused(await fetch(texasUrl.url));
    const coloradoUrl = await downloadUrl(tenantDb(COLORADO), job, 'secret.csv');
    expect(await (await fetch(coloradoUrl.url)).text()).toBe('colorado only\n');
  });

  it('refuses an upload past the size limit (declared or streamed) with 413, keeps nothing, and leaves the URL usable', async () => {
    const job = nextJob();
    const { url } = await staging().uploadUrl(tenantDb(TEXAS), job, 'input.csv');
    const declared = await put(url, Buffer.alloc(5000, 'a'));
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({
      errors: [{ message: 'The file is larger than 4096 bytes', extensions: { code: 'BAD_USER_INPUT' } }],
    });
    // Streamed without a Content-Length: cut once it passes the limit.
    const streamed = await put(
      url,
      Readable.toWeb(Readable.from([Buffer.alloc(3000), Buffer.alloc(3000)])) as ReadableStream,
    );
    expect(streamed.status).toBe(413);
    expect(await staging().size(TEXAS, job, 'input.csv')).toBeNull();
    expect((await put(url, Buffer.alloc(4096, 'b'))).status).toBe(201);
    expect(await staging().size(TEXAS, job, 'input.csv')).toBe(4096);
  });

  it('rotating the tenant’s link secret revokes its valet URLs', async () => {
    const job = nextJob();
    await staging().put(TEXAS, job, 'out.csv', Readable.from(['a\n']));
    const { url } = await downloadUrl(tenantDb(TEXAS), job, 'out.csv');
    expect((await fetch(url)).status).toBe(200);
    await server.app.services.bi.linkSecrets.rotate(tenantDb(TEXAS));
    await expectRefused(await fetch(url));
  });
});

describe('valet URLs with the staging in an S3-compatible store (STAGING_STORE=s3)', () => {
  let s3: TestS3;
  let s3Server: TestServer;

  beforeAll(async () => {
    s3 = await startTestS3();
    s3Server = await startTestServer(s3.env);
  });

  afterAll(async () => {
    await s3Server?.stop();
    await s3?.stop();
  });

  it('uploads once and downloads through the same routes, the file kept in the bucket', async () => {
    const { staging: s3Staging, database } = s3Server.app.services;
    const upload = await s3Staging.uploadUrl(database.forTenant(TEXAS), 'job-s3', 'input.csv');
    expect((await put(upload.url, 'name\nPadre Island\n')).status).toBe(201);
    await expectRefused(await put(upload.url, 'name\nagain\n'));
    const listing = await (await fetch(`${s3.endpoint}/${s3.bucket}`)).text();
    expect(listing).toContain(`<Key>${TEXAS}/job-s3/input.csv</Key>`);
    const download = await s3Staging.downloadUrl(database.forTenant(TEXAS), 'job-s3', 'input.csv');
    expect(await (await fetch(download!.url)).text()).toBe('name\nPadre Island\n');
  });
});

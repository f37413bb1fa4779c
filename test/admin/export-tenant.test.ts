import { createHash } from 'node:crypto';
import { EJSON } from 'bson';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tenantIdOf } from '../events/support.js';
import { asOperator, tenantDocuments, untar } from '../support/admin.js';
import { codes, type GraphQLResponse, startTestServer, type TestServer } from '../support/server.js';

/** CONTRACT.md section 10: exportTenant, a complete and checkable archive behind a time-bound link. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const asOlivia = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) =>
  asOperator<T>(server, query, variables);

const EXPORT = /* GraphQL */ `
  mutation ($slug: String!, $ttl: Int) {
    exportTenant(slug: $slug, ttlSeconds: $ttl) {
      tenant { slug }
      url
      expiresAt
      files { file collection count bytes sha256 }
    }
  }
`;

interface Exported {
  exportTenant: {
    url: string;
    expiresAt: string;
    files: Array<{ file: string; collection: string; count: number; bytes: number; sha256: string }>;
  };
}

const documentsOf = (tenantId: string) => tenantDocuments(server, tenantId);

describe('exportTenant', () => {
  it('archives every collection of the tenant, events included, with counts and SHA-256 that check out', async () => {
    await server.as('alice@example.com', 'mutation { createPark(input: { name: "Exported" }) { id } }', {
      tenant: 'texas',
    });
    const exported = await asOlivia<Exported>(EXPORT, { slug: 'texas' });
    expect(exported.errors).toBeUndefined();
    const { url, files } = exported.data!.exportTenant;
    expect(url).toMatch(new RegExp(`^${server.url}/admin/exports/`));

    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/x-tar');
    const entries = await untar(Buffer.from(await download.arrayBuffer()));
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect(manifest).toMatchObject({ tenant: { id: tenantIdOf('texas'), slug: 'texas' }, files });
    expect([...entries.keys()].sort()).toEqual([...files.map((file) => file.file), 'manifest.json'].sort());

    const texas = tenantIdOf('texas');
    for (const file of files) {
      const bytes = entries.get(file.file)!;
      expect(createHash('sha256').update(bytes).digest('hex'), file.file).toBe(file.sha256);
      expect(bytes.length).toBe(file.bytes);
      const docs = bytes
        .toString('utf8')
        .trimEnd()
        .split('\n')
        .map((line) => EJSON.parse(line) as Record<string, unknown>);
      expect(docs, file.file).toHaveLength(file.count);
      // Only texas's documents (the tenant record is texas itself).
      for (const doc of docs) expect(doc.tenantId ?? doc._id, file.file).toBe(texas);
    }
    // Complete: every collection of the database holding texas's documents, with as many, is in it
    // (the rate limiter's background reports aside: they are not the tenant's data, and come and go).
    // Credentials never leave the server: the tenant's link secret (which signed this very URL) is not archived.
    // The staged files (this archive itself among them) are files of the staging store, not collections.
    const {
      rateLimitConsumption: _reports,
      exportLinkSecrets: secrets,
      'staging.files': _stagedFiles,
      'staging.chunks': _stagedChunks,
      ...stored
    } = await documentsOf(texas);
    expect(secrets).toBe(1);
    const archived = Object.fromEntries(
      files.filter((file) => file.collection !== 'rateLimitConsumption').map((file) => [file.collection, file.count]),
    );
    expect(archived).toEqual(stored);
    expect(archived.events).toBeGreaterThan(0);
    // Nothing of another tenant.
    const text = [...entries.values()].map((bytes) => bytes.toString('utf8')).join('');
    for (const other of ['washington', 'colorado']) expect(text).not.toContain(tenantIdOf(other));

    const log = await asOlivia<{ auditLog: Array<{ action: string }> }>(
      '{ auditLog(tenant: "texas", first: 1) { action } }',
    );
    expect(log.data!.auditLog).toEqual([{ action: 'exportTenant' }]);
  });

  it('refuses a tampered link and an expired one with the same answer', async () => {
    const requested = Date.now();
    const exported = await asOlivia<Exported>(EXPORT, { slug: 'washington', ttl: 60 });
    const { url, expiresAt } = exported.data!.exportTenant;
    const expiry = Date.parse(expiresAt);
    // It lives the lifetime asked for, to the whole second below.
    expect(expiry).toBeGreaterThan(requested + 59_000);
    expect(expiry).toBeLessThanOrEqual(Date.now() + 60_000);
    // The URL ends with the MAC's last base64url character, which holds 4 bits of it and 2 unused ones:
    // altered in a bit of the MAC, and spelt otherwise with the same MAC bits (decoding ignores unused bits).
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const lastAs = (index: (last: number) => number) =>
      url.replace(/.$/, (last) => alphabet[index(alphabet.indexOf(last))]!);
    for (const tampered of [lastAs((last) => last ^ 4), lastAs((last) => last ^ 1)]) {
      const refusedTamper = await fetch(tampered);
      expect(refusedTamper.status, tampered).toBe(403);
      expect(codes((await refusedTamper.json()) as GraphQLResponse)).toEqual(['FORBIDDEN']);
    }
    expect((await fetch(url)).status).toBe(200);
    // The link is time-bound: it works until its expiry and is refused from then on. The clock of the
    // server (in this process) is set on either side of it, Date only (timers and sockets run as ever),
    // so however slow the machine, the link is downloaded at exactly those instants.
    vi.useFakeTimers({ toFake: ['Date'], now: expiry - 1 });
    try {
      expect((await fetch(url)).status).toBe(200);
      vi.setSystemTime(expiry);
      const expired = await fetch(url);
      expect(expired.status).toBe(403);
      expect(codes((await expired.json()) as GraphQLResponse)).toEqual(['FORBIDDEN']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('hands a suspended tenant its data before the purge; the purge revokes the link', async () => {
    await asOlivia('mutation { suspendTenant(slug: "colorado", reason: "offboarding") { slug } }');
    const exported = await asOlivia<Exported>(EXPORT, { slug: 'colorado' });
    expect(exported.errors).toBeUndefined();
    const { url } = exported.data!.exportTenant;
    expect((await fetch(url)).status).toBe(200);
    const purged = await asOlivia('mutation { purgeTenant(slug: "colorado", confirm: "colorado") { total } }');
    expect(purged.errors).toBeUndefined();
    expect((await fetch(url)).status).toBe(403);
  });

  it('refuses an unknown tenant and a link lifetime out of range, exporting nothing', async () => {
    expect(codes(await asOlivia(EXPORT, { slug: 'atlantis' }))).toEqual(['NOT_FOUND']);
    expect(codes(await asOlivia(EXPORT, { slug: 'texas', ttl: 0 }))).toEqual(['BAD_USER_INPUT']);
  });
});

import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { EJSON } from 'bson';
import { pack as tarPack } from 'tar-stream';
import type { CollectionCatalog } from '../data/collection-catalog.js';
import type { Database } from '../data/database.js';
import type { LooseDocument } from '../data/documents.js';
import type { Staging } from '../staging/staging.js';
import type { TenantDocument } from '../tenancy/identity-documents.js';

/** One NDJSON file of the archive, as the manifest lists it. */
export interface ArchiveFile {
  file: string;
  collection: string;
  /** Documents, one per line. */
  count: number;
  bytes: number;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
}

export interface ArchiveManifest {
  format: 'tenantgraph-tenant-export/1';
  tenant: { id: string; slug: string; name: string };
  exportedAt: string;
  files: ArchiveFile[];
}

/** The archive's name among the staged files of its export. */
export const ARCHIVE_FILE = 'archive.tar';
export const MANIFEST_FILE = 'manifest.json';
/** The staging job id of a tenant export: `tenant-export-<24 hex>`. */
export const TENANT_EXPORT_JOB = /^tenant-export-[0-9a-f]{24}$/;
const PAGE = 1000;

/** The documents of one collection, page after page by `_id`, as NDJSON lines (MongoDB Extended JSON, relaxed). */
async function* lines(read: (after: string | null) => Promise<LooseDocument[]>): AsyncGenerator<string> {
  let after: string | null = null;
  for (;;) {
    const page = await read(after);
    for (const doc of page) yield `${EJSON.stringify(doc, { relaxed: true })}\n`;
    if (page.length < PAGE) return;
    after = page.at(-1)!._id;
  }
}

/** Passes bytes through, counting them, their lines and their SHA-256. */
function measure(): Transform & { result(): Omit<ArchiveFile, 'file' | 'collection'> } {
  const hash = createHash('sha256');
  let bytes = 0;
  let count = 0;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 0x0a) count++;
      callback(null, chunk);
    },
  });
  return Object.assign(transform, { result: () => ({ count, bytes, sha256: hash.digest('hex') }) });
}

/**
 * Writes a tenant's complete archive into the staging store: one NDJSON file per collection it owns
 * (every tenant collection the modules declare, its events included, wherever its placement is;
 * credentials aside: its link-signing secret never leaves the server),
 * one per platform collection that names it (its memberships, invitations, placement) and its tenant
 * record; then a tar of those files and `manifest.json` (counts and SHA-256 of each file). Each file
 * is written once to the store while it is counted and hashed, and streamed from there into the tar,
 * so memory holds one page of documents at a time. The archive is `<jobId>/archive.tar`, kept
 * `keepSeconds` (the life of its download link); the files it was built from are deleted.
 */
export async function stageTenantArchive(
  services: { database: Database; catalog: CollectionCatalog; staging: Staging },
  tenant: TenantDocument,
  jobId: string,
  keepSeconds?: number,
): Promise<ArchiveManifest> {
  const { database, catalog, staging } = services;
  const tenantId = tenant._id;
  const db = database.forTenant(tenantId);
  const sources: Array<{ collection: string; read: (after: string | null) => Promise<LooseDocument[]> }> = [
    ...catalog
      .names('tenant')
      .filter((collection) => !catalog.isSecret(collection))
      .map((collection) => ({
        collection,
        read: (after: string | null) =>
          db
            .collection(collection)
            .find(after === null ? {} : { _id: { $gt: after } }, { sort: { _id: 1 }, limit: PAGE }),
      })),
    ...catalog.names('platform').map((collection) => ({
      collection,
      read: (after: string | null) =>
        collection === 'tenants'
          ? after === null
            ? database.platform.collection('tenants').find({ _id: tenantId })
            : Promise.resolve([])
          : database.platform
              .collection(collection)
              .find(after === null ? { tenantId } : { tenantId, _id: { $gt: after } }, {
                sort: { _id: 1 },
                limit: PAGE,
              }),
    })),
  ];
  const files: ArchiveFile[] = [];
  try {
    for (const { collection, read } of sources) {
      const file = `${collection}.ndjson`;
      const measured = measure();
      await staging.put(tenantId, jobId, file, Readable.from(lines(read)).pipe(measured));
      const result = measured.result();
      if (result.count === 0) await staging.delete(tenantId, jobId, file);
      else files.push({ file, collection, ...result });
    }
    const manifest: ArchiveManifest = {
      format: 'tenantgraph-tenant-export/1',
      tenant: { id: tenantId, slug: tenant.slug, name: tenant.name },
      exportedAt: new Date().toISOString(),
      files,
    };
    const archive = tarPack();
    const stored = staging.put(tenantId, jobId, ARCHIVE_FILE, Readable.from(archive), { keepSeconds });
    for (const file of files) {
      const content = await staging.get(tenantId, jobId, file.file);
      if (content === null) throw new Error(`staged file ${file.file} disappeared`);
      await new Promise<void>((resolve, reject) => {
        const entry = archive.entry({ name: file.file, size: file.bytes }, (error) =>
          error ? reject(error) : resolve(),
        );
        content.on('error', reject);
        content.pipe(entry);
      });
    }
    archive.entry({ name: MANIFEST_FILE }, `${JSON.stringify(manifest, null, 2)}\n`);
    archive.finalize();
    await stored;
    return manifest;
  } finally {
    for (const file of files) await staging.delete(tenantId, jobId, file.file).catch(() => undefined);
  }
}

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Db, MongoClient } from 'mongodb';
import { extract } from 'tar-stream';
import type { GraphQLResponse, TestServer } from './server.js';

/** POSTs to the operator API (`/admin/graphql`) of `server` with these headers (a bearer token, or none). */
export async function adminRequest<T = Record<string, unknown>>(
  server: TestServer,
  query: string,
  options: { variables?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${server.url}/admin/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}

/** The operator API as the seeded operator olivia. */
export const asOperator = async <T = Record<string, unknown>>(
  server: TestServer,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> =>
  adminRequest<T>(server, query, {
    variables,
    headers: { authorization: `Bearer ${await server.token('olivia@example.com')}` },
  });

/**
 * Reads the server's database directly, past the application: every collection that exists, and how
 * many of its documents name this tenant id (by `tenantId`, or as `_id` for the tenant itself). A
 * GridFS bucket (`<bucket>.files` and `<bucket>.chunks`, such as the staging store's) names the tenant in
 * its file names (`<tenantId>/…`) instead: its files are counted by that prefix, and its chunks are
 * those of the tenant's files and any chunk whose file is gone (which can be nobody else's data).
 */
export async function tenantDocuments(server: TestServer, tenantId: string): Promise<Record<string, number>> {
  const { mongodbUri, mongodbDb } = server.app.services.config;
  const client = new MongoClient(mongodbUri!);
  try {
    const db = client.db(mongodbDb);
    const found: Record<string, number> = {};
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map(({ name }) => name);
    for (const name of names) {
      const bucket = name.match(/^(.+)\.(files|chunks)$/)?.[1];
      const count =
        bucket !== undefined && names.includes(`${bucket}.files`) && names.includes(`${bucket}.chunks`)
          ? await gridFsDocuments(db, bucket, name.endsWith('.files') ? 'files' : 'chunks', tenantId)
          : await db.collection(name).countDocuments({ $or: [{ tenantId }, { _id: tenantId as never }] });
      if (count > 0) found[name] = count;
    }
    return found;
  } finally {
    await client.close();
  }
}

/** The entries of a tar, by name. */
export async function untar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => {
        chunks.push(chunk as Buffer);
      });
      stream.on('end', () => {
        entries.set(header.name, Buffer.concat(chunks));
        next();
      });
      stream.resume();
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  Readable.from([bytes]).pipe(reader);
  await done;
  return entries;
}

export interface ArchivedFile {
  file: string;
  collection: string;
  count: number;
  bytes: number;
  sha256: string;
}

/**
 * What a tenant archive's entries hold, checked against its manifest: the manifest, and for every file
 * it lists, the file's actual line count, size and SHA-256 (to compare with the manifest's), plus the
 * entries the manifest does not list.
 */
export function archiveContents(entries: Map<string, Buffer>) {
  const manifest = JSON.parse(entries.get('manifest.json')?.toString('utf8') ?? 'null') as {
    tenant: { id: string; slug: string; name: string };
    files: ArchivedFile[];
  } | null;
  const listed = new Set(['manifest.json', ...(manifest?.files ?? []).map((file) => file.file)]);
  return {
    manifest,
    actual: (manifest?.files ?? []).map(({ file, collection }) => {
      const bytes = entries.get(file) ?? Buffer.alloc(0);
      const lines = bytes.toString('utf8').split('\n').length - 1;
      return {
        file,
        collection,
        count: lines,
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
    }),
    unlisted: [...entries.keys()].filter((name) => !listed.has(name)),
  };
}

async function gridFsDocuments(db: Db, bucket: string, part: 'files' | 'chunks', tenantId: string): Promise<number> {
  const files = db.collection(`${bucket}.files`);
  const chunks = db.collection(`${bucket}.chunks`);
  const ownFiles = { filename: { $regex: `^${tenantId}/` } };
  if (part === 'files') return files.countDocuments(ownFiles);
  const own = (await files.find(ownFiles, { projection: { _id: 1 } }).toArray()).map(({ _id }) => _id);
  const chunked = await chunks.distinct('files_id');
  const existing = new Set(
    (await files.find({ _id: { $in: chunked } }, { projection: { _id: 1 } }).toArray()).map(({ _id }) => String(_id)),
  );
  const orphans = chunked.filter((id) => !existing.has(String(id)));
  return chunks.countDocuments({ files_id: { $in: [...own, ...orphans] } });
}

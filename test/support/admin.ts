import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { MongoClient } from 'mongodb';
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
 * many of its documents name this tenant id (by `tenantId`, or as `_id` for the tenant itself).
 */
export async function tenantDocuments(server: TestServer, tenantId: string): Promise<Record<string, number>> {
  const { mongodbUri, mongodbDb } = server.app.services.config;
  const client = new MongoClient(mongodbUri!);
  try {
    const db = client.db(mongodbDb);
    const found: Record<string, number> = {};
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      const count = await db.collection(name).countDocuments({ $or: [{ tenantId }, { _id: tenantId as never }] });
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

import { MongoClient } from 'mongodb';
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

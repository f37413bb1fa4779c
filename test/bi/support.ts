import { expect } from 'vitest';
import { loadManifest } from '../../src/bi/manifest.js';
import type { GraphQLResponse, TestServer } from '../support/server.js';

/** The repository's trusted operations by name, as a BI tool reads them from the manifest. */
export const manifest = loadManifest();

export function hashOf(name: string): string {
  const operation = manifest.operations.find((entry) => entry.name === name);
  if (!operation) throw new Error(`no operation ${name} in the manifest`);
  return operation.id;
}

export const persistedExtension = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });

export interface PersistedCall {
  /** A JWT or an API key (both go in Authorization: Bearer). */
  auth: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** Sent along with the hash (APQ registration, or a document with a wrong hash). */
  query?: string;
  headers?: Record<string, string>;
}

export interface RawResponse<TData = Record<string, unknown>> extends GraphQLResponse<TData> {
  text: string;
}

async function read<TData>(response: Response): Promise<RawResponse<TData>> {
  const text = await response.text();
  const body = text ? (JSON.parse(text) as Omit<GraphQLResponse, 'status' | 'headers'>) : {};
  return { status: response.status, headers: response.headers, text, ...body } as RawResponse<TData>;
}

/** `GET /graphql?extensions=…&variables=…&operationName=…`: what a BI tool that speaks only GET sends. */
export async function persistedGet<TData = Record<string, unknown>>(
  server: TestServer,
  hash: string,
  call: PersistedCall,
): Promise<RawResponse<TData>> {
  const params = new URLSearchParams({ extensions: JSON.stringify(persistedExtension(hash)) });
  if (call.variables) params.set('variables', JSON.stringify(call.variables));
  if (call.operationName) params.set('operationName', call.operationName);
  if (call.query) params.set('query', call.query);
  const response = await fetch(`${server.url}/graphql?${params}`, {
    headers: { authorization: `Bearer ${call.auth}`, ...call.headers },
  });
  return read<TData>(response);
}

export async function persistedPost<TData = Record<string, unknown>>(
  server: TestServer,
  hash: string,
  call: PersistedCall,
): Promise<RawResponse<TData>> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${call.auth}`, ...call.headers },
    body: JSON.stringify({
      ...(call.query !== undefined && { query: call.query }),
      variables: call.variables,
      operationName: call.operationName,
      extensions: persistedExtension(hash),
    }),
  });
  return read<TData>(response);
}

/** An API key of the tenant `admin` acts in, created through the API as an admin would. */
export async function createApiKey(
  server: TestServer,
  admin: string,
  input: { roles: string[]; operations?: string[] | null; name?: string },
  tenant?: string,
): Promise<string> {
  const created = await server.as<{ createApiKey: { secret: string } }>(
    admin,
    'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { operations } } }',
    {
      variables: { input: { name: input.name ?? 'bi key', roles: input.roles, operations: input.operations } },
      tenant,
    },
  );
  expect(created.errors).toBeUndefined();
  return created.data!.createApiKey.secret;
}

export async function createPark(
  server: TestServer,
  admin: string,
  input: { name: string; region?: string | null; capacity?: number | null },
  tenant?: string,
): Promise<string> {
  const created = await server.as<{ createPark: { id: string } }>(
    admin,
    'mutation ($input: CreateParkInput!) { createPark(input: $input) { id } }',
    { variables: { input }, tenant },
  );
  expect(created.errors).toBeUndefined();
  return created.data!.createPark.id;
}

export const codesOf = (response: Pick<GraphQLResponse, 'errors'>) =>
  (response.errors ?? []).map((error) => error.extensions?.code);

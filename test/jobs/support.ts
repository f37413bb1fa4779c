import { expect } from 'vitest';
import { wsClient, wsUrl } from '../support/graphql-ws.js';
import type { GraphQLResponse, TestServer } from '../support/server.js';

export const JOB_FIELDS = `id kind status format entity operation linesRead rowsWritten rowsFailed
  errors { line message } failure downloadUrl downloadExpiresAt startedAt finishedAt`;

export interface Job {
  id: string;
  kind: 'IMPORT' | 'EXPORT';
  status: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  format: 'CSV' | 'NDJSON';
  entity: 'PARK' | 'RESERVATION' | null;
  operation: string | null;
  linesRead: number;
  rowsWritten: number;
  rowsFailed: number;
  errors: Array<{ line: number; message: string }>;
  failure: string | null;
  downloadUrl: string | null;
  downloadExpiresAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export const CREATE_IMPORT = `mutation ($input: CreateImportJobInput!) {
  createImportJob(input: $input) { job { ${JOB_FIELDS} } uploadUrl uploadExpiresAt maxBytes }
}`;
export const CREATE_EXPORT = `mutation ($input: CreateExportJobInput!) { createExportJob(input: $input) { ${JOB_FIELDS} } }`;
export const JOB = `query ($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`;
export const CANCEL = `mutation ($id: ID!) { cancelJob(id: $id) { ${JOB_FIELDS} } }`;

export interface CreatedImport {
  job: Job;
  uploadUrl: string;
  uploadExpiresAt: string;
  maxBytes: number;
}

/** `auth` is a token or an API key; `tenant` the X-Tenant-ID. */
export interface Caller {
  auth: string;
  tenant?: string;
}

export const callerOf = async (server: TestServer, email: string, tenant?: string): Promise<Caller> => ({
  auth: await server.token(email),
  ...(tenant ? { tenant } : {}),
});

export function asCaller<T = Record<string, unknown>>(
  server: TestServer,
  caller: Caller,
  query: string,
  variables: Record<string, unknown>,
) {
  return server.gql<T>(query, {
    variables,
    auth: caller.auth,
    headers: caller.tenant ? { 'x-tenant-id': caller.tenant } : {},
  });
}

export async function createImport(
  server: TestServer,
  caller: Caller,
  input: { entity: 'PARK' | 'RESERVATION'; format: 'CSV' | 'NDJSON' },
): Promise<CreatedImport> {
  const response = await asCaller<{ createImportJob: CreatedImport }>(server, caller, CREATE_IMPORT, { input });
  expect(response.errors).toBeUndefined();
  return response.data!.createImportJob;
}

export async function readJob(
  server: TestServer,
  caller: Caller,
  id: string,
): Promise<GraphQLResponse<{ job: Job | null }>> {
  return asCaller<{ job: Job | null }>(server, caller, JOB, { id });
}

/** PUTs a file to an upload URL, as an integrator's script would (no credential). */
export const upload = (url: string, body: string) => fetch(url, { method: 'PUT', body });

/**
 * Follows a job through the `jobProgress` subscription over graphql-ws until it ends, and returns every
 * state it was shown in; `onState` is told of each as it arrives.
 */
export async function followJob(
  server: TestServer,
  caller: Caller,
  id: string,
  timeoutMs = 60_000,
  onState: (job: Job) => void = () => {},
): Promise<Job[]> {
  const { client } = wsClient(wsUrl(server.url), {
    connectionParams: {
      authorization: `Bearer ${caller.auth}`,
      ...(caller.tenant ? { 'x-tenant-id': caller.tenant } : {}),
    },
  });
  const seen: Job[] = [];
  try {
    const subscription = client.iterate<{ jobProgress: Job }>({
      query: `subscription ($id: ID!) { jobProgress(id: $id) { ${JOB_FIELDS} } }`,
      variables: { id },
    });
    const deadline = setTimeout(() => subscription.return?.(), timeoutMs);
    try {
      for await (const result of subscription) {
        if (result.errors) throw new Error(JSON.stringify(result.errors));
        const job = result.data?.jobProgress;
        if (job) {
          seen.push(job);
          onState(job);
        }
        if (job && FINISHED.has(job.status)) break;
      }
    } finally {
      clearTimeout(deadline);
    }
  } finally {
    await client.dispose();
  }
  return seen;
}

/** The job's last state as jobProgress showed it, once it ended. */
export async function finished(server: TestServer, caller: Caller, id: string, timeoutMs?: number): Promise<Job> {
  const states = await followJob(server, caller, id, timeoutMs);
  const last = states.at(-1);
  expect(last && FINISHED.has(last.status), `job ${id} did not end: ${JSON.stringify(last)}`).toBe(true);
  return last!;
}

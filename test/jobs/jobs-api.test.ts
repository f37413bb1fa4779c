import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedId } from '../../src/seed/seed.js';
import { parseCsv } from '../bi/csv.js';
import { wsClient, wsUrl } from '../support/graphql-ws.js';
import { codes, startTestServer, type TestServer } from '../support/server.js';
import {
  CANCEL,
  CREATE_EXPORT,
  CREATE_IMPORT,
  JOB_FIELDS,
  asCaller,
  callerOf,
  createImport,
  finished,
  readJob,
  upload,
  type Caller,
  type Job,
} from './support.js';

const TEXAS = seedId('tenant:texas');

let server: TestServer;
const callers: Record<string, Caller> = {};

beforeAll(async () => {
  server = await startTestServer({ JOB_POLL_MS: '50' });
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const) {
    callers[name] = await callerOf(server, `${name}@example.com`);
  }
});

afterAll(async () => {
  await server?.stop();
});

const exportJob = async (caller: Caller, input: Record<string, unknown>) => {
  const response = await asCaller<{ createExportJob: Job }>(server, caller, CREATE_EXPORT, { input });
  expect(response.errors).toBeUndefined();
  return response.data!.createExportJob;
};

describe('who may create jobs (the contract’s roles)', () => {
  it('imports: EDITOR and ADMIN only', async () => {
    const input = { entity: 'PARK', format: 'CSV' };
    for (const [name, allowed] of [
      ['alice', true], // texas admin
      ['bob', true], // washington editor
      ['dave', false], // viewer
      ['erin', false], // analyst
      ['frank', false], // integrator
    ] as const) {
      const response = await asCaller(server, callers[name]!, CREATE_IMPORT, { input });
      expect(codes(response), name).toEqual(allowed ? [] : ['FORBIDDEN']);
    }
  });

  it('exports: ANALYST, EDITOR and ADMIN only, of a trusted operation that exists', async () => {
    const input = { operation: 'ParksWithCapacity', format: 'NDJSON' };
    for (const [name, allowed] of [
      ['alice', true],
      ['bob', true],
      ['erin', true],
      ['dave', false],
      ['frank', false],
    ] as const) {
      const response = await asCaller(server, callers[name]!, CREATE_EXPORT, { input });
      expect(codes(response), name).toEqual(allowed ? [] : ['FORBIDDEN']);
    }
    const unknown = await asCaller(server, callers.erin!, CREATE_EXPORT, {
      input: { operation: 'DropEverything', format: 'CSV' },
    });
    expect(codes(unknown)).toEqual(['BAD_USER_INPUT']);
    expect(unknown.errors?.[0]?.message).toBe('input.operation does not name a trusted operation of this tenant');
    const badVariables = await asCaller(server, callers.erin!, CREATE_EXPORT, {
      input: { operation: 'ParksWithCapacity', variables: { first: 'ten' }, format: 'CSV' },
    });
    expect(codes(badVariables)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('who may see and cancel a job', () => {
  it('its creator and the tenant’s ADMINs; another member, another tenant or garbage ids get null / NOT_FOUND', async () => {
    const erinsJob = await exportJob(callers.erin!, { operation: 'ParksWithCapacity', format: 'CSV' });
    expect((await readJob(server, callers.erin!, erinsJob.id)).data?.job?.id).toBe(erinsJob.id);
    expect((await readJob(server, callers.alice!, erinsJob.id)).data?.job?.id).toBe(erinsJob.id); // texas ADMIN
    expect((await readJob(server, callers.dave!, erinsJob.id)).data?.job).toBeNull(); // texas viewer, not creator
    expect((await readJob(server, callers.carol!, erinsJob.id)).data?.job).toBeNull(); // colorado ADMIN
    expect((await readJob(server, callers.bob!, erinsJob.id)).data?.job).toBeNull(); // washington editor
    expect((await readJob(server, callers.alice!, 'not-a-job')).data?.job).toBeNull();
    for (const name of ['dave', 'carol', 'bob'] as const) {
      expect(codes(await asCaller(server, callers[name]!, CANCEL, { id: erinsJob.id })), name).toEqual(['NOT_FOUND']);
    }
    // The subscription refuses alike, on a connection that stays open.
    const { client } = wsClient(wsUrl(server.url), {
      connectionParams: { authorization: `Bearer ${callers.carol!.auth}` },
    });
    const outcome = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: `subscription ($id: ID!) { jobProgress(id: $id) { ${JOB_FIELDS} } }`, variables: { id: erinsJob.id } },
        { next: resolve, error: resolve, complete: () => resolve('complete') },
      );
    });
    await client.dispose();
    expect(JSON.stringify(outcome)).toContain('NOT_FOUND');
  });

  it('an import job keeps the tenant it was created in, whatever the user does later', async () => {
    // alice is texas ADMIN and washington VIEWER; her job in texas stays a texas job after she switches.
    const created = await createImport(server, callers.alice!, { entity: 'PARK', format: 'NDJSON' });
    const switched = await server.as(
      'alice@example.com',
      'mutation { switchTenant(slug: "washington") { tenant { slug } } }',
    );
    expect(switched.errors).toBeUndefined();
    expect((await upload(created.uploadUrl, '{"name":"Kept in Texas"}\n')).status).toBe(201);
    const job = await finished(server, { ...callers.alice!, tenant: 'texas' }, created.job.id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsWritten: 1 });
    expect(
      await server.app.services.database.forTenant(TEXAS).collection('parks').count({ name: 'Kept in Texas' }),
    ).toBe(1);
    await server.as('alice@example.com', 'mutation { switchTenant(slug: "texas") { tenant { slug } } }');
  });

  it('cancel: a waiting import is cancelled, its upload URL is then refused, and a second cancel changes nothing', async () => {
    const created = await createImport(server, callers.bob!, { entity: 'PARK', format: 'CSV' });
    const cancelled = await asCaller<{ cancelJob: Job }>(server, callers.bob!, CANCEL, { id: created.job.id });
    expect(cancelled.data?.cancelJob.status).toBe('CANCELLED');
    const refused = await upload(created.uploadUrl, 'name\nNever Imported\n');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      errors: [{ message: 'This link is not valid', extensions: { code: 'FORBIDDEN' } }],
    });
    const again = await asCaller<{ cancelJob: Job }>(server, callers.bob!, CANCEL, { id: created.job.id });
    expect(again.data?.cancelJob.status).toBe('CANCELLED');
    const washington = server.app.services.database.forTenant(seedId('tenant:washington'));
    expect(await washington.collection('parks').count({ name: 'Never Imported' })).toBe(0);
  });

  it('a job runs with its creator’s rights as they are when it runs: a revoked key’s import fails with a clear status', async () => {
    const key = await server.as<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      'alice@example.com',
      'mutation { createApiKey(input: { name: "importer", roles: [EDITOR] }) { secret apiKey { id } } }',
    );
    const { secret, apiKey } = key.data!.createApiKey;
    const created = await createImport(server, { auth: secret }, { entity: 'PARK', format: 'NDJSON' });
    const revoked = await server.as('alice@example.com', 'mutation ($id: ID!) { revokeApiKey(id: $id) { id } }', {
      variables: { id: apiKey.id },
    });
    expect(revoked.errors).toBeUndefined();
    expect((await upload(created.uploadUrl, '{"name":"Revoked import"}\n')).status).toBe(201);
    const job = await finished(server, callers.alice!, created.job.id);
    expect(job).toMatchObject({
      status: 'FAILED',
      rowsWritten: 0,
      failure: 'the credential that created this job may no longer write in this tenant',
    });
  });
});

describe('export jobs', () => {
  it('write the whole result, page by page, as CSV with formula cells neutralised, behind a time-bound download URL', async () => {
    for (let index = 0; index < 130; index++) {
      const created = await server.as(
        'alice@example.com',
        'mutation ($name: String!) { createPark(input: { name: $name }) { id } }',
        {
          variables: { name: index === 0 ? '=HYPERLINK("http://evil")' : `Export park ${index}` },
        },
      );
      expect(created.errors).toBeUndefined();
    }
    const total = await server.app.services.database.forTenant(TEXAS).collection('parks').count({});
    const job = await exportJob(callers.erin!, {
      operation: 'ParksWithCapacity',
      variables: { first: 50 },
      format: 'CSV',
    });
    expect(job).toMatchObject({ kind: 'EXPORT', status: 'PENDING', operation: 'ParksWithCapacity', downloadUrl: null });
    const done = await finished(server, callers.erin!, job.id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', rowsWritten: total });
    expect(done.downloadUrl).toMatch(/\/staging\/[\w-]+\.[\w-]+$/);
    const response = await fetch(done.downloadUrl!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parseCsv(await response.text());
    expect(rows[0]).toEqual(['id', 'name', 'region', 'capacity']);
    expect(rows).toHaveLength(total + 1);
    expect(new Set(rows.slice(1).map((row) => row[0])).size).toBe(total);
    expect(rows.some((row) => row[1] === `'=HYPERLINK("http://evil")`)).toBe(true);
  }, 90_000);

  it('NDJSON carries the values unchanged', async () => {
    const job = await exportJob(callers.alice!, { operation: 'ParksWithCapacity', format: 'NDJSON' });
    const done = await finished(server, callers.alice!, job.id);
    const lines = (await (await fetch(done.downloadUrl!)).text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(done.rowsWritten);
    expect(lines.some((row) => row.name === '=HYPERLINK("http://evil")')).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedId } from '../../src/seed/seed.js';
import { finished, upload } from '../jobs/support.js';
import { adminRequest } from '../support/admin.js';
import { startPeerServer, startTestServer, type TestServer } from '../support/server.js';
import { errorCodes, type KeyedAnswer, keyedPost } from './keyed-requests.js';

/**
 * Idempotency keys on every kind of mutation (contract section 11), beyond the parks and reservations
 * of idempotency-keys.test.ts: mutations of platform data (API keys, members, the stored active
 * tenant), of the tenant's BI data (trusted operations, export links, the link secret), and those with
 * effects outside any transaction (jobs). Each replays, refuses a conflicting reuse and makes
 * concurrent duplicates wait; a request mixing kinds that cannot be made one is refused.
 */
const TEXAS = seedId('tenant:texas');

let server: TestServer;
let peer: TestServer;
let alice: string;

beforeAll(async () => {
  server = await startTestServer({ JOB_POLL_MS: '50', STAGING_SWEEP_MS: '0' });
  peer = await startPeerServer(server);
  alice = await server.token('alice@example.com');
});

afterAll(async () => {
  await peer?.stop();
  await server?.stop();
});

const post = <TData = Record<string, unknown>>(
  key: string | null,
  query: string,
  variables: Record<string, unknown> = {},
  instance: TestServer = server,
): Promise<KeyedAnswer<TData>> => keyedPost<TData>(instance, alice, key, { query, variables });

/** Six copies of one keyed request at once, alternately on the two instances. */
const sixAtOnce = <TData>(key: string, query: string, variables: Record<string, unknown>) =>
  Promise.all(
    Array.from({ length: 6 }, (_, index) => post<TData>(key, query, variables, index % 2 === 0 ? server : peer)),
  );

const CREATE_API_KEY =
  'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id name } secret } }';
type CreatedKey = { createApiKey: { apiKey: { id: string; name: string }; secret: string } };

async function apiKeysNamed(name: string): Promise<number> {
  const { body } = await post<{ apiKeys: Array<{ name: string }> }>(null, '{ apiKeys { name } }');
  return body.data!.apiKeys.filter((key) => key.name === name).length;
}

const REGISTER =
  'mutation ($name: String!, $document: String!) { registerTrustedOperation(name: $name, document: $document) { id name } }';
const operationDocument = (name: string) => `query ${name} { parks(first: 5) { nodes { id name } } }`;

async function trustedOperationsNamed(name: string): Promise<number> {
  const { body } = await post<{ trustedOperations: Array<{ name: string }> }>(null, '{ trustedOperations { name } }');
  return body.data!.trustedOperations.filter((operation) => operation.name === name).length;
}

const CREATE_EXPORT = 'mutation ($input: CreateExportJobInput!) { createExportJob(input: $input) { id kind } }';
type CreatedExport = { createExportJob: { id: string; kind: string } };
const exportInput = (format: 'CSV' | 'NDJSON') => ({ input: { operation: 'ParksWithCapacity', format } });
const jobCount = () => server.app.services.database.forTenant(TEXAS).collection('jobs').count({});

describe('mutations of platform data: one transaction of the shared database with the response', () => {
  it('createApiKey replays the same key and secret; the key exists once', async () => {
    const variables = { input: { name: 'keyed replay', roles: ['VIEWER'] } };
    const first = await post<CreatedKey>('api-key-1', CREATE_API_KEY, variables);
    expect(first).toMatchObject({ status: 200, replayed: null });
    const again = await post<CreatedKey>('api-key-1', CREATE_API_KEY, variables, peer);
    expect(again).toMatchObject({ status: 200, replayed: 'true' });
    expect(again.body.data).toEqual(first.body.data);
    expect(await apiKeysNamed('keyed replay')).toBe(1);
    // The replayed secret is the stored key's: it authenticates.
    const bySecret = await keyedPost(server, first.body.data!.createApiKey.secret, null, {
      query: '{ viewer { user { email } } }',
    });
    expect(bySecret.body.data).toEqual({ viewer: { user: { email: 'api-key:keyed replay' } } });
  });

  it('the same key for another createApiKey is BAD_USER_INPUT, and no key is created', async () => {
    await post('api-key-2', CREATE_API_KEY, { input: { name: 'keyed first', roles: ['VIEWER'] } });
    const other = await post('api-key-2', CREATE_API_KEY, { input: { name: 'keyed second', roles: ['VIEWER'] } });
    expect([other.status, errorCodes(other)]).toEqual([400, ['BAD_USER_INPUT']]);
    expect(await apiKeysNamed('keyed second')).toBe(0);
  });

  it('concurrent duplicates on two instances create one key and all answer with it', async () => {
    const answers = await sixAtOnce<CreatedKey>('api-key-3', CREATE_API_KEY, {
      input: { name: 'keyed concurrent', roles: ['VIEWER'] },
    });
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    expect(answers.filter((answer) => answer.replayed === null)).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.body.data?.createApiKey.secret)).size).toBe(1);
    expect(await apiKeysNamed('keyed concurrent')).toBe(1);
  });

  it.each([
    ['revokeApiKey', 'mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }'],
    ['setMemberRoles', 'mutation { setMemberRoles(email: "dave@example.com", roles: [VIEWER, ANALYST]) { roles } }'],
    ['inviteMember', 'mutation { inviteMember(email: "keyed-invitee@example.com", roles: [VIEWER]) { email roles } }'],
    ['switchTenant', 'mutation { switchTenant(slug: "texas") { tenant { slug } roles } }'],
  ])('%s replays its stored answer', async (name, query) => {
    const variables: Record<string, unknown> = {};
    if (name === 'revokeApiKey') {
      const created = await post<CreatedKey>(null, CREATE_API_KEY, { input: { name: 'to revoke', roles: ['VIEWER'] } });
      variables.id = created.body.data!.createApiKey.apiKey.id;
    }
    const first = await post(`${name}-1`, query, variables);
    expect(first).toMatchObject({ status: 200, replayed: null });
    expect(first.body.errors).toBeUndefined();
    const again = await post(`${name}-1`, query, variables, peer);
    expect(again).toMatchObject({ status: 200, replayed: 'true', body: { data: first.body.data } });
  });
});

describe("mutations of the tenant's BI data: one transaction of its placement with the response", () => {
  it('registerTrustedOperation replays; a conflicting reuse and concurrent duplicates register nothing more', async () => {
    const variables = { name: 'KeyedParks', document: operationDocument('KeyedParks') };
    const answers = await sixAtOnce<{ registerTrustedOperation: { id: string } }>('register-1', REGISTER, variables);
    expect(answers.map((answer) => [answer.status, answer.body.errors])).toEqual(Array(6).fill([200, undefined]));
    expect(answers.filter((answer) => answer.replayed === null)).toHaveLength(1);
    expect(await trustedOperationsNamed('KeyedParks')).toBe(1);

    const other = await post('register-1', REGISTER, { name: 'KeyedOther', document: operationDocument('KeyedOther') });
    expect(errorCodes(other)).toEqual(['BAD_USER_INPUT']);
    expect(await trustedOperationsNamed('KeyedOther')).toBe(0);

    // A name already taken, with a new key: the refusal is the mutation's own answer, kept and replayed.
    const again = await post('register-2', REGISTER, variables);
    expect(again.body.errors?.map((error) => [error.extensions.code, error.message])).toEqual([
      ['BAD_USER_INPUT', expect.stringMatching(/already registered in this tenant/)],
    ]);
    expect((await post('register-2', REGISTER, variables)).replayed).toBe('true');
  });

  it('createExportLink replays the same link', async () => {
    const query =
      'mutation { createExportLink(operationName: "ParksWithCapacity", format: CSV, ttlSeconds: 600) { url expiresAt } }';
    const first = await post<{ createExportLink: { url: string } }>('link-1', query);
    expect(first).toMatchObject({ status: 200, replayed: null });
    const again = await post('link-1', query, {}, peer);
    expect(again).toMatchObject({ replayed: 'true', body: { data: first.body.data } });
    expect((await fetch(first.body.data!.createExportLink.url)).status).toBe(200);
  });

  it('rotateExportLinkSecret replayed does not rotate again: a link made in between keeps working', async () => {
    const rotate = 'mutation { rotateExportLinkSecret }';
    expect((await post('rotate-1', rotate)).body.data).toEqual({ rotateExportLinkSecret: true });
    const link = await post<{ createExportLink: { url: string } }>(
      null,
      'mutation { createExportLink(operationName: "ParksWithCapacity", format: CSV, ttlSeconds: 600) { url } }',
    );
    expect((await post('rotate-1', rotate)).replayed).toBe('true');
    expect((await fetch(link.body.data!.createExportLink.url)).status).toBe(200);
  });
});

describe('mutations with effects outside any transaction: jobs named from the key', () => {
  it('createExportJob replays the same job; a conflicting reuse and concurrent duplicates create no other', async () => {
    const before = await jobCount();
    const answers = await sixAtOnce<CreatedExport>('export-job-1', CREATE_EXPORT, exportInput('CSV'));
    expect(answers.map((answer) => [answer.status, answer.body.errors])).toEqual(Array(6).fill([200, undefined]));
    expect(answers.filter((answer) => answer.replayed === null)).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.body.data?.createExportJob.id)).size).toBe(1);
    expect(await jobCount()).toBe(before + 1);

    const later = await post<CreatedExport>('export-job-1', CREATE_EXPORT, exportInput('CSV'));
    expect(later).toMatchObject({ replayed: 'true', body: { data: answers[0]?.body.data } });
    const other = await post('export-job-1', CREATE_EXPORT, exportInput('NDJSON'));
    expect(errorCodes(other)).toEqual(['BAD_USER_INPUT']);
    expect(await jobCount()).toBe(before + 1);
  });

  it('createImportJob: concurrent duplicates create one job; the answer they share uploads into it', async () => {
    const before = await jobCount();
    const query =
      'mutation ($input: CreateImportJobInput!) { createImportJob(input: $input) { job { id } uploadUrl } }';
    const answers = await sixAtOnce<{ createImportJob: { job: { id: string }; uploadUrl: string } }>(
      'import-job-1',
      query,
      { input: { entity: 'PARK', format: 'CSV' } },
    );
    expect(answers.filter((answer) => answer.replayed === null)).toHaveLength(1);
    expect(new Set(answers.map((answer) => JSON.stringify(answer.body.data))).size).toBe(1);
    expect(await jobCount()).toBe(before + 1);
    const { job, uploadUrl } = answers[0]!.body.data!.createImportJob;
    expect((await upload(uploadUrl, 'name,capacity\nKeyed Import Park,5\n')).status).toBe(201);
    expect(await finished(server, { auth: alice }, job.id)).toMatchObject({ status: 'SUCCEEDED', rowsWritten: 1 });
  });

  it('cancelJob replays its answer', async () => {
    const created = await post<CreatedExport>(null, CREATE_EXPORT, exportInput('NDJSON'));
    const cancel = 'mutation ($id: ID!) { cancelJob(id: $id) { id } }';
    const variables = { id: created.body.data!.createExportJob.id };
    const first = await post('cancel-1', cancel, variables);
    expect(first).toMatchObject({ status: 200, replayed: null, body: { data: { cancelJob: variables } } });
    const again = await post('cancel-1', cancel, variables, peer);
    expect(again).toMatchObject({ replayed: 'true', body: { data: first.body.data } });
  });
});

describe('a keyed request whose root fields are of different kinds', () => {
  it.each([
    [
      'tenant data and platform data',
      'mutation { createPark(input: { name: "Mixed A" }) { id } createApiKey(input: { name: "mixed a", roles: [VIEWER] }) { secret } }',
      /createPark and createApiKey cannot be retried safely as one request/,
    ],
    [
      'tenant data and a job',
      'mutation { createPark(input: { name: "Mixed B" }) { id } ...Job } fragment Job on Mutation { createExportJob(input: { operation: "ParksWithCapacity", format: CSV }) { id } }',
      /createPark and createExportJob cannot be retried safely as one request/,
    ],
  ])('%s: BAD_USER_INPUT naming both, and nothing runs', async (_kinds, query, message) => {
    const before = await jobCount();
    const answer = await post('mixed-1', query);
    expect([answer.status, errorCodes(answer)]).toEqual([400, ['BAD_USER_INPUT']]);
    expect(answer.body.errors?.[0]?.message).toMatch(message);
    const parks = await post<{ parks: { nodes: Array<{ name: string }> } }>(
      null,
      '{ parks(first: 100) { nodes { name } } }',
    );
    expect(parks.body.data!.parks.nodes.map((park) => park.name)).not.toContain('Mixed A');
    expect(parks.body.data!.parks.nodes.map((park) => park.name)).not.toContain('Mixed B');
    expect(await apiKeysNamed('mixed a')).toBe(0);
    expect(await jobCount()).toBe(before);
  });

  it('without a key the same request runs as always', async () => {
    const answer = await post(
      null,
      'mutation { createPark(input: { name: "Mixed Unkeyed" }) { name } createApiKey(input: { name: "mixed unkeyed", roles: [VIEWER] }) { apiKey { name } } }',
    );
    expect(answer.body.errors).toBeUndefined();
    expect(await apiKeysNamed('mixed unkeyed')).toBe(1);
  });

  it('tenant data and BI data of the same tenant are one kind: run and replayed together', async () => {
    const query = `mutation ($document: String!) {
      createPark(input: { name: "Keyed With Operation" }) { name }
      registerTrustedOperation(name: "KeyedWithPark", document: $document) { name }
    }`;
    const answer = await post('same-kind-1', query, { document: operationDocument('KeyedWithPark') });
    expect(answer.body).toEqual({
      data: { createPark: { name: 'Keyed With Operation' }, registerTrustedOperation: { name: 'KeyedWithPark' } },
      extensions: expect.anything(),
    });
    expect((await post('same-kind-1', query, { document: operationDocument('KeyedWithPark') })).replayed).toBe('true');
  });
});

describe('the operator API', () => {
  it('takes no Idempotency-Key (it acts outside any tenant): a repeat executes and says what it finds', async () => {
    const create = 'mutation { createTenant(slug: "keyed-tenant", name: "Keyed Tenant") { slug } }';
    const headers = { authorization: `Bearer ${await server.token('olivia@example.com')}`, 'idempotency-key': 'op-1' };
    const first = await adminRequest(server, create, { headers });
    expect(first.data).toEqual({ createTenant: { slug: 'keyed-tenant' } });
    const again = await adminRequest(server, create, { headers });
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});

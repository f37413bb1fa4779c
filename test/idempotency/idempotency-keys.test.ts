import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeerServer, startTestServer, type TestServer } from '../support/server.js';
import { type KeyedAnswer, keyedPost } from './keyed-requests.js';

/**
 * Idempotency keys over real HTTP (contract section 11): a mutation with a key executes once per key,
 * credential and tenant; a repeat replays the stored response marked `Idempotent-Replayed: true`; the
 * same key with another body is BAD_USER_INPUT; concurrent duplicates wait for the first, on whichever
 * instance they arrive.
 */
let server: TestServer;
/** A second instance on the same database, as a load balancer's other replica. */
let peer: TestServer;
let aliceToken: string;

const CREATE = 'mutation ($input: CreateParkInput!) { createPark(input: $input) { id name capacity } }';

type Answer = KeyedAnswer<{ createPark?: { id: string; name: string } }>;

const post = (
  auth: string,
  key: string | null,
  payload: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string> = {},
  instance: TestServer = server,
): Promise<Answer> => keyedPost(instance, auth, key, payload, headers);

const create = (
  auth: string,
  key: string | null,
  name: string,
  headers: Record<string, string> = {},
  instance: TestServer = server,
) => post(auth, key, { query: CREATE, variables: { input: { name, capacity: 10 } } }, headers, instance);

/** How many parks of the caller's tenant have this name. */
async function parksNamed(auth: string, name: string, headers: Record<string, string> = {}): Promise<number> {
  const { body } = await post(auth, null, { query: '{ parks(first: 100) { nodes { name } } }' }, headers);
  const nodes = (body.data as unknown as { parks: { nodes: Array<{ name: string }> } }).parks.nodes;
  return nodes.filter((park) => park.name === name).length;
}

beforeAll(async () => {
  server = await startTestServer();
  peer = await startPeerServer(server);
  aliceToken = await server.token('alice@example.com');
});

afterAll(async () => {
  await peer?.stop();
  await server?.stop();
});

describe('Idempotency-Key on mutations', () => {
  it('a repeat is not executed again: it gets the stored response, marked replayed', async () => {
    const first = await create(aliceToken, 'replay-1', 'Replayed Park');
    expect(first.status).toBe(200);
    expect(first.replayed).toBeNull();
    expect(first.body.data?.createPark?.name).toBe('Replayed Park');

    const again = await create(aliceToken, 'replay-1', 'Replayed Park');
    expect(again.status).toBe(200);
    expect(again.replayed).toBe('true');
    // The stored answer; its `extensions.cost` tells the bucket as it is now, like every response's.
    expect(again.body.data).toEqual(first.body.data);
    expect(again.body.errors).toEqual(first.body.errors);
    expect(again.body.extensions?.cost).toBeDefined();
    expect(await parksNamed(aliceToken, 'Replayed Park')).toBe(1);

    // A new token of the same user is the same credential.
    const otherToken = await server.token('alice@example.com', { ttlSeconds: 300 });
    expect((await create(otherToken, 'replay-1', 'Replayed Park')).replayed).toBe('true');
  });

  it('an error response is replayed too: the request is not run again', async () => {
    const query = 'mutation { deletePark(id: "UGFyazowMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=") }';
    const first = await post(aliceToken, 'not-found-1', { query });
    const again = await post(aliceToken, 'not-found-1', { query });
    expect(first.body.errors?.map((error) => error.extensions.code)).toEqual(['NOT_FOUND']);
    expect(again).toMatchObject({ status: first.status, replayed: 'true', body: { errors: first.body.errors } });
  });

  it('the same key with a different body is BAD_USER_INPUT, and nothing runs', async () => {
    expect((await create(aliceToken, 'conflict-1', 'First Body')).status).toBe(200);
    const other = await create(aliceToken, 'conflict-1', 'Second Body');
    expect(other.status).toBe(400);
    expect(other.body.errors?.map((error) => error.extensions.code)).toEqual(['BAD_USER_INPUT']);
    expect(other.body.data).toBeUndefined();
    expect(await parksNamed(aliceToken, 'Second Body')).toBe(0);
  });

  it('concurrent duplicates wait for the first and get its response', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => create(aliceToken, 'concurrent-1', 'Concurrent Park')),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.filter((answer) => answer.replayed === null)).toHaveLength(1);
    expect(answers.filter((answer) => answer.replayed === 'true')).toHaveLength(5);
    const ids = new Set(answers.map((answer) => answer.body.data?.createPark?.id));
    expect(ids.size).toBe(1);
    expect(await parksNamed(aliceToken, 'Concurrent Park')).toBe(1);
  });

  it('writers of one park with their own keys, conflicting in the database, each execute once and replay their own answer', async () => {
    const park = (await create(aliceToken, 'contended-0', 'Contended Park')).body.data?.createPark?.id;
    const update = (index: number) =>
      post(aliceToken, `contended-${index + 1}`, {
        query: 'mutation ($id: ID!, $input: UpdateParkInput!) { updatePark(id: $id, input: $input) { id capacity } }',
        variables: { id: park, input: { capacity: 100 + index } },
      });
    const indexes = Array.from({ length: 6 }, (_, index) => index);
    const answers = await Promise.all(indexes.map(update));
    expect(answers.map((answer) => [answer.status, answer.replayed, answer.body.errors])).toEqual(
      indexes.map(() => [200, null, undefined]),
    );
    const replays = await Promise.all(indexes.map(update));
    expect(replays.map((answer) => answer.replayed)).toEqual(indexes.map(() => 'true'));
    expect(replays.map((answer) => answer.body.data)).toEqual(answers.map((answer) => answer.body.data));
  });

  it('another credential or another tenant with the same key executes on its own', async () => {
    expect((await create(aliceToken, 'shared-1', 'Shared Key Park')).status).toBe(200);

    // Another credential of the same tenant: an API key of Alice's.
    const { body } = await post(aliceToken, null, {
      query: 'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
      variables: { input: { name: 'idempotency writer', roles: ['EDITOR'] } },
    });
    const secret = (body.data as unknown as { createApiKey: { secret: string } }).createApiKey.secret;
    const byKey = await create(secret, 'shared-1', 'Shared Key Park');
    expect(byKey).toMatchObject({ status: 200, replayed: null });
    expect(await parksNamed(aliceToken, 'Shared Key Park')).toBe(2);

    // Another user in another tenant.
    const bob = await create(await server.token('bob@example.com'), 'shared-1', 'Shared Key Park');
    expect(bob).toMatchObject({ status: 200, replayed: null });

    // The same user in another tenant, where she may not write: her own answer, not Texas's replayed.
    const inWashington = await create(aliceToken, 'shared-1', 'Shared Key Park', { 'x-tenant-id': 'washington' });
    expect(inWashington.replayed).toBeNull();
    expect(inWashington.body.errors?.map((error) => error.extensions.code)).toEqual(['FORBIDDEN']);
  });

  it('is ignored on a query: reading is safe to repeat, each one runs', async () => {
    const query = { query: '{ viewer { user { email } } }' };
    const first = await post(aliceToken, 'query-1', query);
    const second = await post(aliceToken, 'query-1', query);
    expect([first.replayed, second.replayed]).toEqual([null, null]);
    expect(second.body.data).toEqual({ viewer: { user: { email: 'alice@example.com' } } });
  });

  it.each([
    ['longer than 255 characters', 'k'.repeat(256)],
    ['with a control character', 'bad\tkey'],
    ['empty', ''],
  ])('a key %s is BAD_USER_INPUT and nothing runs', async (_name, key) => {
    const answer = await create(aliceToken, key, `Refused Key Park ${key.length}`);
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((error) => error.extensions.code)).toEqual(['BAD_USER_INPUT']);
    expect(await parksNamed(aliceToken, `Refused Key Park ${key.length}`)).toBe(0);
  });

  it('a key of exactly 255 printable characters is accepted', async () => {
    const key = `~${'k'.repeat(253)}~`;
    const answer = await create(aliceToken, key, 'Longest Key Park');
    expect(answer).toMatchObject({ status: 200, replayed: null });
    expect((await create(aliceToken, key, 'Longest Key Park')).replayed).toBe('true');
  });
});

describe('Idempotency-Key across instances', () => {
  it('concurrent duplicates sent to two instances execute once; each instance replays the one response', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        create(aliceToken, 'two-instances-1', 'Two Instances Park', {}, index % 2 === 0 ? server : peer),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect(answers.filter((answer) => answer.replayed === null)).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.body.data?.createPark?.id)).size).toBe(1);
    expect(await parksNamed(aliceToken, 'Two Instances Park')).toBe(1);

    const later = await create(aliceToken, 'two-instances-1', 'Two Instances Park', {}, peer);
    // The data replayed; extensions.cost describes the tenant's bucket at the time of each answer.
    expect(later).toMatchObject({ status: 200, replayed: 'true' });
    expect(later.body.data).toEqual(answers[0]?.body.data);
    const conflicting = await create(aliceToken, 'two-instances-1', 'Another Body', {}, peer);
    expect(conflicting.body.errors?.map((error) => error.extensions.code)).toEqual(['BAD_USER_INPUT']);
    expect(await parksNamed(aliceToken, 'Another Body')).toBe(0);
  });
});

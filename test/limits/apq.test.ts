import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { persistedPost } from '../bi/support.js';
import { codes, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('automatic persisted queries', () => {
  it('registered in one tenant are unknown by their hash in every other', async () => {
    const query = `{ parks(first: 3) { nodes { name } } } # ${Math.random()}`;
    const hash = sha256(query);
    const alice = await server.token('alice@example.com'); // texas
    const registered = await persistedPost(server, hash, { auth: alice, query });
    expect(registered.errors).toBeUndefined();

    // The same tenant, another caller: served by the hash alone.
    const dave = await persistedPost(server, hash, { auth: await server.token('dave@example.com') });
    expect(dave.errors).toBeUndefined();
    expect(dave.data).toEqual(registered.data);

    // Another tenant learns nothing: the hash is as unknown as one never registered.
    const carol = await persistedPost(server, hash, { auth: await server.token('carol@example.com') });
    const never = await persistedPost(server, sha256('never registered'), {
      auth: await server.token('carol@example.com'),
    });
    expect(codes(carol)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect({ status: carol.status, errors: carol.errors }).toEqual({ status: never.status, errors: never.errors });

    // The same user acting in another of her tenants: unknown there too.
    const elsewhere = await persistedPost(server, hash, { auth: alice, headers: { 'x-tenant-id': 'washington' } });
    expect(codes(elsewhere)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('keeps a document that does not validate out of the store', async () => {
    const query = '{ parks { nodes { secret } } }';
    const hash = sha256(query);
    const alice = await server.token('alice@example.com');
    expect(codes(await persistedPost(server, hash, { auth: alice, query }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await persistedPost(server, hash, { auth: alice }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });
});

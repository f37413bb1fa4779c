import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedId } from '../../src/seed/seed.js';
import { until } from '../support/wait.js';
import { codes, startTestServer, type TestServer } from '../support/server.js';

/**
 * The early refusal of a flooding caller (src/server/early-refusal.ts, Limits.refuseEarly): once an
 * operation of a caller was refused for its cost, the caller's next requests are refused before they
 * are read until the bucket holds that cost again, and each such 429 is held back a moment, so that a
 * client that asks again as soon as it is answered cannot make the server refuse thousands a second.
 */
const BOB = 'bob@example.com'; // washington: free, editor
/** 101 points: a page of 100 parks and its connection. */
const HEAVY = '{ parks(first: 100) { nodes { id } } }';
const BUCKET = 250;
const RATE = 50;

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer({ PLANS: JSON.stringify({ free: { bucketSize: BUCKET, restoreRate: RATE } }) });
  token = await server.token(BOB);
  // A full page, so that a heavy query costs what it was estimated at (nothing refunded).
  const parks = server.app.services.database.forTenant(seedId('tenant:washington')).collection('parks');
  const now = new Date();
  for (let i = 0; i < 100; i += 1) {
    await parks.insertOne({ name: `Flood ${i}`, region: 'Flood', capacity: i, createdAt: now, updatedAt: now });
  }
});
afterAll(() => server?.stop());

describe('a caller whose operation was refused for its cost', () => {
  it('is refused before its next request is read, and the answer is held back', async () => {
    expect((await server.gql(HEAVY, { auth: token })).status).toBe(200);
    expect((await server.gql(HEAVY, { auth: token })).status).toBe(200);
    // About 50 points left: the third is refused where it is costed, and its cost remembered.
    const refused = await server.gql(HEAVY, { auth: token });
    expect(refused.status).toBe(429);
    expect(codes(refused)).toEqual(['RATE_LIMITED']);

    // The bucket holds points, but not 101: refused before the body is read (a document that does
    // not parse gets the 429, not a 400), and after the bucket's wait, at most a quarter second.
    const started = Date.now();
    const unread = await server.gql('{ not a document', { auth: token });
    const held = Date.now() - started;
    expect(unread.status).toBe(429);
    expect(codes(unread)).toEqual(['RATE_LIMITED']);
    expect(Number(unread.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(held).toBeGreaterThanOrEqual(200);
    // The price: a cheap operation that would fit is refused as well while the bucket is short.
    expect((await server.gql('{ parks(first: 1) { nodes { id } } }', { auth: token })).status).toBe(429);
  });

  it('is served again once the bucket holds the refused cost', async () => {
    await until(async () => (await server.gql(HEAVY, { auth: token })).status === 200, 'bob served again', 5_000);
  });

  it('leaves another tenant alone', async () => {
    const alice = await server.token('alice@example.com');
    const answers = await Promise.all(Array.from({ length: 5 }, () => server.gql(HEAVY, { auth: alice })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(5).fill(200));
  });
});

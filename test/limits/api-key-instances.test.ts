import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floodAdmitted } from '../support/flood.js';
import { startPeerServer, startTestServer, type TestServer } from '../support/server.js';

/**
 * The key's own bucket: small against a quick restore, so that a few seconds of flood are dominated
 * by the restore rate (what the key may spend over the window is BUCKET + RATE × seconds). The
 * tenant's plan is far larger: only the key's bucket binds.
 */
const BUCKET = 150;
const RATE = 300;
const ENV = { RATE_LIMIT_SYNC_MS: '100' };
const FLOOD_MS = 4000;
/** 20 points, estimated and actual alike, and no database round trip: the limit is what binds. */
const QUERY = `{ ${Array.from({ length: 10 }, (_, i) => `v${i}: viewer { tenant { id } }`).join(' ')} }`;

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  a = await startTestServer(ENV);
  b = await startPeerServer(a, ENV);
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

describe('an API key with limits of its own, on two instances on one database', () => {
  it('keeps its admitted cost within 25% of its own limit', async () => {
    const created = await a.as<{ createApiKey: { secret: string } }>(
      'alice@example.com',
      `mutation { createApiKey(input: { name: "shared integration", roles: [VIEWER], limits: { bucketSize: ${BUCKET}, restoreRate: ${RATE} } }) { secret } }`,
    );
    const secret = created.data!.createApiKey.secret;
    const started = Date.now();
    const deadline = started + FLOOD_MS;
    const [onA, onB] = await Promise.all([
      floodAdmitted(a, QUERY, secret, deadline, 3),
      floodAdmitted(b, QUERY, secret, deadline, 3),
    ]);
    const seconds = (Date.now() - started) / 1000;
    const limit = BUCKET + RATE * seconds;
    // Each instance alone would admit about the key's whole limit: together they must not admit two.
    expect(onA).toBeGreaterThan(0);
    expect(onB).toBeGreaterThan(0);
    expect(onA + onB).toBeLessThanOrEqual(limit * 1.25);
    // And the limit is not met by refusing what the key may spend.
    expect(onA + onB).toBeGreaterThanOrEqual(limit * 0.5);
  });
});

import { describe, expect, it } from 'vitest';
import { expectOneBudgetAcross, TWENTY_POINTS } from '../support/flood.js';
import { twoInstances } from '../support/server.js';

/**
 * The key's own bucket: small against a quick restore, so that a few seconds of flood are dominated
 * by the restore rate (what the key may spend over the window is BUCKET + RATE × seconds). The
 * tenant's plan is far larger: only the key's bucket binds.
 */
const BUCKET = 150;
const RATE = 300;
const ENV = { RATE_LIMIT_SYNC_MS: '100' };
const FLOOD_MS = 4000;

const instances = twoInstances(ENV);

describe('an API key with limits of its own, on two instances on one database', () => {
  it('keeps its admitted cost within 25% of its own limit', async () => {
    const { a, b } = instances;
    const created = await a.as<{ createApiKey: { secret: string } }>(
      'alice@example.com',
      `mutation { createApiKey(input: { name: "shared integration", roles: [VIEWER], limits: { bucketSize: ${BUCKET}, restoreRate: ${RATE} } }) { secret } }`,
    );
    expect(created.errors).toBeUndefined();
    const secret = created.data!.createApiKey.secret;
    await expectOneBudgetAcross([a, b], TWENTY_POINTS, secret, { ms: FLOOD_MS, bucket: BUCKET, rate: RATE });
  });
});

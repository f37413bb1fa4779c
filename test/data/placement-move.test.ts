import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/data/database.js';
import type { PlacementFollower } from '../../src/data/placement-follower.js';
import { collections } from '../../src/modules/application.js';
import { MoveRefused } from '../../src/data/placement-move.js';
import { PlacementRouter } from '../../src/data/placement-router.js';
import { startTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The placement gate of one instance (placement-router.ts) and a move that cannot get every
 * instance's confirmation (placement-move.ts): it is undone, and the tenant goes on where it was.
 */
const TENANT = 'cccccccccccccccccccccc01';

describe('the placement gate', () => {
  const record = (version: number, state: 'serving' | 'paused', database: string | null) => ({
    _id: TENANT,
    tenantId: TENANT,
    placement: { cluster: null, database },
    version,
    state,
    updatedAt: new Date(),
  });

  it('holds writes of a paused tenant until the switch, then runs them in the new placement; reads go on', async () => {
    const router = new PlacementRouter();
    router.apply(TENANT, record(1, 'paused', null));
    const read = router.read(TENANT);
    expect(read.placement).toEqual({ cluster: null, database: null });
    read.release();
    let written: { database: string | null } | null = null;
    const waiting = router.write(TENANT).then((permit) => {
      written = permit.placement;
      permit.release();
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toBeNull();
    router.apply(TENANT, record(2, 'serving', 'tg_own'));
    await waiting;
    expect(written).toEqual({ cluster: null, database: 'tg_own' });
  });

  it('is drained of a version once every operation that resolved an older one is released', async () => {
    const router = new PlacementRouter();
    const older = await router.write(TENANT);
    router.apply(TENANT, record(1, 'paused', null));
    let drained = false;
    const draining = router.drained(TENANT, 1).then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    older.release();
    await draining;
    expect(drained).toBe(true);
  });

  it('ignores a record older than the one it applied', () => {
    const router = new PlacementRouter();
    router.apply(TENANT, record(3, 'serving', 'tg_new'));
    router.apply(TENANT, record(2, 'paused', null));
    expect(router.record(TENANT)?.version).toBe(3);
  });
});

describe('a move some instance does not confirm', () => {
  let fixture: TestDatabase;
  let follower: PlacementFollower;
  let client: MongoClient;

  beforeAll(async () => {
    fixture = await startTestDatabase();
    await fixture.database.ensureIndexes();
    follower = await fixture.database.followPlacements(() => {});
    client = new MongoClient(fixture.mongo.uri);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await follower?.stop();
    await fixture?.stop();
  });

  it('refuses a cluster whose URI and database are where the tenant is: it would delete its only copy', async () => {
    const aliased = await connectDatabase({
      uri: fixture.mongo.uri,
      dbName: fixture.dbName,
      collections,
      clusters: new Map([['SAME', fixture.mongo.uri]]),
    });
    try {
      await expect(aliased.moveTenant(TENANT, { cluster: 'SAME', database: null })).rejects.toThrow(/already/);
    } finally {
      await aliased.close();
    }
  });

  it('is undone before the switch: the tenant stays, writes go on there, the partial copy is gone', async () => {
    const parks = fixture.database.forTenant(TENANT).collection('parks');
    await parks.insertOne({ name: 'Before' });
    // An instance that is alive (its lease is renewed) but never confirms anything.
    await client
      .db(fixture.dbName)
      .collection('placementObservers')
      .insertOne({ _id: 'stuck' as never, expiresAt: new Date(Date.now() + 60_000), seen: {} });

    const move = fixture.database.moveTenant(
      TENANT,
      { cluster: null, database: 'tg_refused' },
      { confirmTimeoutMs: 300 },
    );
    await expect(move).rejects.toBeInstanceOf(MoveRefused);

    expect(fixture.database.placementOf(TENANT)).toEqual({ cluster: null, database: null });
    await parks.insertOne({ name: 'After' });
    expect((await parks.find({})).map((park) => park.name).sort()).toEqual(['After', 'Before']);
    expect(await client.db('tg_refused').collection('parks').countDocuments({ tenantId: TENANT })).toBe(0);
    const stored = await client
      .db(fixture.dbName)
      .collection('tenantPlacements')
      .findOne({ _id: TENANT as never });
    expect(stored).toMatchObject({ state: 'serving', placement: { cluster: null, database: null } });
    expect(stored).not.toHaveProperty('moveTo');
  });
});

import { type Collection, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObserverDocument } from '../../src/data/placement-follower.js';
import type { PlacementRecord } from '../../src/data/placement.js';
import { positionOf, subscribeEvents, tenantIdOf, type ExportEvent } from '../events/support.js';
import { startServerProcess } from '../support/child-process.js';
import { uniqueDbName } from '../support/mongo.js';
import { startPeerServer, startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';
import { allParkIds } from './park-ids.js';

/**
 * CONTRACT.md section 10, placement: the process moving a tenant (`npm run admin -- tenant move`) is
 * killed with SIGKILL in the middle of the move, while two instances write and read the tenant. Its
 * lease lapses, an instance takes the move over and rolls it back (killed during the pause, before
 * the switch), completes it (killed at the switch) or removes the old copy (killed after the switch):
 * the tenant's writes wait a few seconds, not a minute, none fails, none is lost or written twice, and
 * a live subscriber gets every event once, in order.
 */
const TEXAS = tenantIdOf('texas');
const STALLED = 'stalled-instance';
/** texas's own database: a name no other test uses, as they may share a real MongoDB server. */
const OWN = uniqueDbName('tg_texas');

let first: TestServer;
let second: TestServer;
let client: MongoClient;
let registry: Collection<PlacementRecord>;
let observers: Collection<ObserverDocument>;

beforeAll(async () => {
  first = await startTestServer();
  second = await startPeerServer(first);
  const { mongodbUri, mongodbDb } = first.app.services.config;
  client = new MongoClient(mongodbUri!);
  registry = client.db(mongodbDb).collection<PlacementRecord>('tenantPlacements');
  observers = client.db(mongodbDb).collection<ObserverDocument>('placementObservers');
});
afterAll(async () => {
  await client?.close();
  await second?.stop();
  await first?.stop();
});

/** texas's parks in one database of the test server. */
async function texasParks(dbName: string): Promise<number> {
  return client.db(dbName).collection('parks').countDocuments({ tenantId: TEXAS });
}

/**
 * Starts `npm run admin -- tenant move texas` to `database` (null: the shared one) as a process and
 * kills it with SIGKILL once the move reaches `stage`: paused before the switch; switched, still
 * paused; or serving from the target before the old copy is removed. An instance that has not
 * confirmed the stage (a live observer that lags, planted here, confirming every earlier step) holds
 * the mover there; it is withdrawn once the mover is dead.
 */
async function killMoverAt(stage: 'pause' | 'switch' | 'cleanup', database: string | null): Promise<void> {
  const { mongodbUri, mongodbDb } = first.app.services.config;
  const reached = (record: PlacementRecord) => {
    const switched = record.placement.database === database;
    if (stage === 'pause') return record.state === 'paused' && !switched;
    if (stage === 'switch') return record.state === 'paused' && switched;
    return record.state === 'serving' && switched && record.moveId !== undefined;
  };
  await observers.insertOne({ _id: STALLED, expiresAt: new Date(Date.now() + 120_000), seen: {} });
  const mover = startServerProcess(
    process.execPath,
    [
      ...['--import', 'tsx', '--conditions=development', 'scripts/admin.ts', 'tenant', 'move', 'texas'],
      ...(database === null ? [] : ['--database', database]),
    ],
    { MONGODB_URI: mongodbUri!, MONGODB_DB: mongodbDb, LOG_LEVEL: 'silent' },
  );
  try {
    await until(
      async () => {
        const record = await registry.findOne({ _id: TEXAS });
        if (record?.moveId === undefined) return false;
        if (reached(record)) return true;
        await observers.updateOne({ _id: STALLED }, { $max: { [`seen.${TEXAS}`]: record.version } });
        return false;
      },
      `the mover at the ${stage}`,
      60_000,
    );
  } finally {
    mover.process.kill('SIGKILL');
    await mover.exited;
    await observers.deleteOne({ _id: STALLED });
  }
}

const CREATE_PARK = 'mutation($n: String!) { createPark(input: { name: $n }) { id } }';

// Three kills, each waiting out a 5-second lease: about 25 s alone, more on a loaded machine.
describe('a move whose mover is killed', () => {
  it('is rolled back before the switch, completed after it and cleaned up after it by an instance, writes waiting seconds', async () => {
    const { mongodbDb } = first.app.services.config;
    const seeded = await texasParks(mongodbDb);
    const frank = await first.token('frank@example.com');
    const live = await subscribeEvents(second, { bearer: frank, tenant: 'texas' });

    const created: string[] = [];
    const failures: unknown[] = [];
    let slowestWriteMs = 0;
    let writing = true;
    const writer = async (server: TestServer, name: string) => {
      for (let i = 0; writing; i++) {
        const started = Date.now();
        const answer = await server.as<{ createPark: { id: string } }>('alice@example.com', CREATE_PARK, {
          variables: { n: `${name} ${i}` },
          tenant: 'texas',
        });
        slowestWriteMs = Math.max(slowestWriteMs, Date.now() - started);
        if (answer.errors || !answer.data) failures.push(answer.errors);
        else created.push(answer.data.createPark.id);
      }
    };
    const reader = async () => {
      while (writing) {
        const answer = await first.as<{ parks: { nodes: unknown[] } }>(
          'dave@example.com',
          '{ parks(first: 5) { nodes { id } } }',
          {
            tenant: 'texas',
          },
        );
        if (answer.errors || answer.data!.parks.nodes.length === 0) failures.push(answer.errors ?? 'no parks');
      }
    };
    const running = Promise.all([writer(first, 'A'), writer(second, 'B'), reader()]);
    const moveEnded = () =>
      until(async () => (await registry.findOne({ _id: TEXAS }))?.moveId === undefined, 'the move to end', 30_000);

    // Killed in the pause, before the switch: rolled back, texas goes on in the shared database.
    await until(() => created.length >= 4, 'the first writes');
    await killMoverAt('pause', OWN);
    await moveEnded();
    let since = created.length;
    await until(() => created.length >= since + 4, 'writes after the roll-back', 20_000);
    expect(await registry.findOne({ _id: TEXAS })).toMatchObject({ placement: { database: null }, state: 'serving' });
    expect(await texasParks(OWN)).toBe(0);
    expect(await texasParks(mongodbDb)).toBeGreaterThan(seeded);
    const afterRollBack = slowestWriteMs;

    // The next attempt, killed at the switch: completed, texas goes on in its own database.
    await killMoverAt('switch', OWN);
    await moveEnded();
    since = created.length;
    await until(() => created.length >= since + 4, 'writes after the completion', 20_000);
    expect(await registry.findOne({ _id: TEXAS })).toMatchObject({
      placement: { cluster: null, database: OWN },
      state: 'serving',
    });
    expect(await texasParks(mongodbDb)).toBe(0);
    expect(await texasParks(OWN)).toBeGreaterThan(seeded);
    const afterCompletion = slowestWriteMs;

    // Moving back, killed once serving from the shared database, before its own copy is removed: an
    // instance removes it.
    await killMoverAt('cleanup', null);
    await moveEnded();
    since = created.length;
    await until(() => created.length >= since + 4, 'writes after the clean-up', 20_000);
    writing = false;
    await running;

    expect(failures).toEqual([]);
    // Writes waited for the lapsed lease (5 s) and the take-over, never for PAUSE_WAIT_MS (60 s).
    expect(afterRollBack).toBeLessThan(15_000);
    expect(afterCompletion).toBeLessThan(15_000);
    expect(await registry.findOne({ _id: TEXAS })).toMatchObject({
      placement: { cluster: null, database: null },
      state: 'serving',
    });
    expect(await texasParks(OWN)).toBe(0);
    expect(await texasParks(mongodbDb)).toBe(seeded + created.length);
    for (const server of [first, second]) {
      expect(server.app.services.database.eventTargets()).toEqual([`/${mongodbDb}`]);
    }

    // Every park written once, through either instance.
    const listed = await allParkIds(first);
    expect(listed).toHaveLength(seeded + created.length);
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual(expect.arrayContaining(created));

    // One park.created event per park, once, in order, with no gap in the positions.
    const events: ExportEvent[] = await live.waitFor(created.length);
    await live.stop();
    const positions = events.map((event) => positionOf(event.cursor));
    expect(positions).toEqual(positions.map((_p, i) => positions[0]! + i));
    const parkEvents = events.filter((event) => event.type === 'park.created').map((event) => event.subject);
    expect(parkEvents).toHaveLength(created.length);
    expect(new Set(parkEvents)).toEqual(new Set(created));
  }, 120_000);
});

import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positionOf, subscribeEvents, tenantIdOf, type ExportEvent } from '../events/support.js';
import { startTestMongo, type TestMongo } from '../support/mongo.js';
import { until } from '../support/wait.js';
import { codes, type GraphQLResponse, startPeerServer, startTestServer, type TestServer } from '../support/server.js';
import { allParkIds } from './park-ids.js';

/**
 * CONTRACT.md section 10, placement: texas is moved, while two instances serve it, from the shared
 * database to a database of its own, then to another cluster (a second database server, named by
 * MONGODB_URI_EU), then back to the shared database. Writers on both instances and a reader run all
 * along: no request fails, no write is lost, a live subscriber and one resuming from a cursor taken
 * before the moves get every event once, in order; each placement holds the data and the others none,
 * and the instances stop following the events of a database texas left.
 */
let eu: TestMongo;
let first: TestServer;
let second: TestServer;

beforeAll(async () => {
  eu = await startTestMongo();
  first = await startTestServer({ MONGODB_URI_EU: eu.uri });
  second = await startPeerServer(first, { MONGODB_URI_EU: eu.uri });
});
afterAll(async () => {
  await second?.stop();
  await first?.stop();
  await eu?.stop();
});

async function asOlivia<T = Record<string, unknown>>(
  server: TestServer,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${server.url}/admin/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${await server.token('olivia@example.com')}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) } as never;
}

const MOVE = /* GraphQL */ `
  mutation ($slug: String!, $placement: PlacementInput!) {
    moveTenant(slug: $slug, placement: $placement) {
      tenant { slug placement { description } }
      from { description }
      to { cluster database description }
      copied { collection count }
      pausedMs
    }
  }
`;

interface Move {
  moveTenant: {
    tenant: { slug: string; placement: { description: string } };
    from: { description: string };
    to: { cluster: string | null; database: string | null; description: string };
    copied: Array<{ collection: string; count: number }>;
    pausedMs: number;
  };
}

/** texas's documents per tenant collection in one database of one server. */
async function texasDocuments(uri: string, dbName: string): Promise<Record<string, number>> {
  const client = new MongoClient(uri);
  try {
    const db = client.db(dbName);
    const found: Record<string, number> = {};
    for (const name of ['parks', 'reservations', 'events', 'eventCounters', 'eventOutbox']) {
      const count = await db.collection(name).countDocuments({ tenantId: tenantIdOf('texas') });
      if (count > 0) found[name] = count;
    }
    return found;
  } finally {
    await client.close();
  }
}

const CREATE_PARK = 'mutation($n: String!) { createPark(input: { name: $n }) { id } }';

describe('moveTenant', () => {
  it('moves texas to its own database, to another cluster and back while it is written and read on two instances', async () => {
    const { mongodbUri, mongodbDb } = first.app.services.config;
    const shared = await texasDocuments(mongodbUri!, mongodbDb);
    expect(shared.parks).toBeGreaterThan(0);

    // An API key (kept in the shared database, looked up before its tenant is known) works throughout.
    const key = await first.as<{ createApiKey: { secret: string } }>(
      'alice@example.com',
      'mutation { createApiKey(input: { name: "reports", roles: [VIEWER] }) { secret } }',
      { tenant: 'texas' },
    );
    expect(key.errors).toBeUndefined();

    // A subscriber that stops before the moves (its cursor is resumed afterwards), and one that stays.
    const frank = await first.token('frank@example.com');
    const early = await subscribeEvents(second, { bearer: frank, tenant: 'texas' });
    const live = await subscribeEvents(first, { bearer: frank, tenant: 'texas' });
    const created: string[] = [];
    const failures: unknown[] = [];
    let writing = true;
    const writer = async (server: TestServer, name: string) => {
      for (let i = 0; writing; i++) {
        const answer = await server.as<{ createPark: { id: string } }>('alice@example.com', CREATE_PARK, {
          variables: { n: `${name} ${i}` },
          tenant: 'texas',
        });
        if (answer.errors || !answer.data) failures.push(answer.errors);
        else created.push(answer.data.createPark.id);
      }
    };
    let reads = 0;
    const reader = async () => {
      while (writing) {
        const answer = await second.as<{ parks: { nodes: unknown[] } }>(
          'dave@example.com',
          '{ parks(first: 5) { nodes { id } } }',
          {
            tenant: 'texas',
          },
        );
        if (answer.errors || answer.data!.parks.nodes.length === 0) failures.push(answer.errors ?? 'no parks');
        reads++;
      }
    };
    const running = Promise.all([writer(first, 'A'), writer(second, 'B'), reader()]);
    await early.waitFor(3);
    await early.stop();
    const resumeFrom = early.events.at(-1)!.cursor;

    const moves: Move['moveTenant'][] = [];
    const where = {
      shared: [mongodbUri!, mongodbDb],
      tg_texas: [mongodbUri!, 'tg_texas'],
      EU: [eu.uri, 'tg_texas_eu'],
    } as const;
    const following = { shared: `/${mongodbDb}`, tg_texas: '/tg_texas', EU: 'EU/tg_texas_eu' } as const;
    for (const [placement, to, from] of [
      [{ database: 'tg_texas' }, 'tg_texas', 'shared'],
      [{ cluster: 'EU', database: 'tg_texas_eu' }, 'EU', 'tg_texas'],
      [{}, 'shared', 'EU'],
    ] as const) {
      const answer = await asOlivia<Move>(first, MOVE, { slug: 'texas', placement });
      expect(answer.errors).toBeUndefined();
      moves.push(answer.data!.moveTenant);
      const since = created.length;
      await until(() => created.length >= since + 4, 'writes after the move', 20_000);
      // The data is in the new placement (and the writes since, too), none left in the old one.
      expect((await texasDocuments(where[to][0], where[to][1])).parks).toBeGreaterThan(shared.parks!);
      expect(await texasDocuments(where[from][0], where[from][1])).toEqual({});
      // Both instances let the old database's event stream and sequencer go: they follow the shared
      // database and texas's new one only.
      for (const server of [first, second]) {
        expect(server.app.services.database.eventTargets()).toEqual(
          [...new Set([following.shared, following[to]])].sort(),
        );
      }
    }
    writing = false;
    await running;

    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    expect(
      moves.map((move) => [move.from.description, move.to.description, move.tenant.placement.description]),
    ).toEqual([
      ['shared', 'database tg_texas', 'database tg_texas'],
      ['database tg_texas', 'cluster EU database tg_texas_eu', 'cluster EU database tg_texas_eu'],
      ['cluster EU database tg_texas_eu', 'shared', 'shared'],
    ]);
    for (const move of moves) expect(move.pausedMs).toBeLessThan(5000);

    // Every park written is there, through either instance, and in the shared database only.
    const total = shared.parks! + created.length;
    const listed = await allParkIds(second);
    expect(listed).toHaveLength(total);
    expect(listed).toEqual(expect.arrayContaining(created));
    expect((await texasDocuments(mongodbUri!, mongodbDb)).parks).toBe(total);
    expect(await texasDocuments(mongodbUri!, 'tg_texas')).toEqual({});
    expect(await texasDocuments(eu.uri, 'tg_texas_eu')).toEqual({});

    const byKey = await second.gql<{ parks: { nodes: unknown[] } }>('{ parks(first: 1) { nodes { id } } }', {
      auth: key.data!.createApiKey.secret,
    });
    expect(byKey.errors).toBeUndefined();
    expect(byKey.data!.parks.nodes).toHaveLength(1);

    // One park.created event per park written, in order, once: live, and resumed from before the moves.
    const createdEvents = (events: ExportEvent[]) =>
      events.filter((event) => event.type === 'park.created').map((event) => event.subject);
    const everyPosition = (events: ExportEvent[], from: number) =>
      expect(events.map((event) => positionOf(event.cursor))).toEqual(events.map((_e, i) => from + i));
    const liveEvents = await live.waitFor(created.length);
    await live.stop();
    const livePositions = liveEvents.map((event) => positionOf(event.cursor));
    everyPosition(liveEvents, livePositions[0]!);
    expect(new Set(createdEvents(liveEvents))).toEqual(new Set(created));
    expect(createdEvents(liveEvents)).toHaveLength(created.length);

    const resumed = await subscribeEvents(second, { bearer: frank, tenant: 'texas' }, { after: resumeFrom });
    const after = await resumed.waitFor(created.length - early.events.length);
    await resumed.stop();
    everyPosition(after, positionOf(resumeFrom) + 1);
    expect(new Set([...createdEvents(early.events), ...createdEvents(after)])).toEqual(new Set(created));
    expect(createdEvents(early.events).length + createdEvents(after).length).toBe(created.length);

    const log = await asOlivia<{ auditLog: Array<{ action: string; tenant: string; details: string }> }>(
      first,
      '{ auditLog(tenant: "texas", first: 3) { action tenant details } }',
    );
    expect(log.data!.auditLog.map((entry) => [entry.action, JSON.parse(entry.details).to])).toEqual([
      ['moveTenant', 'shared'],
      ['moveTenant', 'cluster EU database tg_texas_eu'],
      ['moveTenant', 'database tg_texas'],
    ]);
  });

  it('refuses a cluster no instance knows, a reserved or malformed database, and the placement it is in, changing nothing', async () => {
    for (const [placement, field] of [
      [{ cluster: 'MARS' }, /MONGODB_URI_MARS/],
      [{ cluster: 'eu' }, /placement.cluster/],
      [{ database: 'admin' }, /placement.database/],
      [{ database: 'no spaces' }, /placement.database/],
      [{}, /already/],
    ] as const) {
      const answer = await asOlivia(first, MOVE, { slug: 'washington', placement });
      expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors![0]!.message).toMatch(field);
    }
    const tenant = await asOlivia<{ tenant: { placement: { description: string } } }>(
      second,
      '{ tenant(slug: "washington") { placement { description } } }',
    );
    expect(tenant.data!.tenant.placement.description).toBe('shared');
  });

  it('is the operators’ alone: a tenant admin’s token is refused', async () => {
    const response = await fetch(`${first.url}/admin/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await first.token('alice@example.com')}`,
      },
      body: JSON.stringify({ query: MOVE, variables: { slug: 'texas', placement: { database: 'stolen' } } }),
    });
    expect(response.status).toBe(403);
    expect(await texasDocuments(first.app.services.config.mongodbUri!, 'stolen')).toEqual({});
  });
});

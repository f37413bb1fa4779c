import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnsafeQueryError } from '../../src/data/errors.js';
import { newId } from '../../src/data/ids.js';
import type { TenantDb } from '../../src/data/tenant-db.js';
import { startTestDatabase, type TestDatabase } from '../support/database.js';

interface Park {
  _id: string;
  tenantId: string;
  name: string;
  capacity?: number;
}

interface Reservation {
  _id: string;
  tenantId: string;
  parkId: string;
  visitorName: string;
}

const ID = expect.stringMatching(/^[0-9a-f]{24}$/);
const A = newId();
const B = newId();

let env: TestDatabase;
let dbA: TenantDb;
let dbB: TenantDb;
let parkA: Park;
let parkB: Park;
let reservationA: Reservation;
let reservationB: Reservation;
/** B's reservation forged to point at A's park: a join from A must still not reach it. */
let forgedB: Reservation;

const parksOf = (db: TenantDb) => db.collection<Park>('parks');
const reservationsOf = (db: TenantDb) => db.collection<Reservation>('reservations');

beforeAll(async () => {
  env = await startTestDatabase();
  dbA = env.database.forTenant(A);
  dbB = env.database.forTenant(B);
  parkA = await parksOf(dbA).insertOne({ name: 'A park', capacity: 10 });
  parkB = await parksOf(dbB).insertOne({ name: 'B park', capacity: 20 });
  reservationA = await reservationsOf(dbA).insertOne({ parkId: parkA._id, visitorName: 'Ann' });
  reservationB = await reservationsOf(dbB).insertOne({ parkId: parkB._id, visitorName: 'Ben' });
  forgedB = await reservationsOf(dbB).insertOne({ parkId: parkA._id, visitorName: 'Forged' });
});

afterAll(async () => {
  await env?.stop();
});

beforeEach(() => {
  env.commands.length = 0;
});

describe('insertOne', () => {
  it('stamps the tenant, generates a 24-hex string id and returns the stored document', async () => {
    expect(parkA).toEqual({ _id: ID, name: 'A park', capacity: 10, tenantId: A });
    expect(await parksOf(dbA).findById(parkA._id)).toEqual(parkA);
  });

  it('generates ids that sort by creation time', async () => {
    const first = await parksOf(dbA).insertOne({ name: 'first' });
    const second = await parksOf(dbA).insertOne({ name: 'second' });
    expect(first._id < second._id).toBe(true);
    await parksOf(dbA).deleteOne({ _id: first._id });
    await parksOf(dbA).deleteOne({ _id: second._id });
  });

  it('refuses a document naming another tenant, and writes nothing', async () => {
    const before = await parksOf(dbB).count();
    await expect(
      parksOf(dbA).insertOne({ name: 'smuggled', tenantId: B } as unknown as Omit<Park, '_id' | 'tenantId'>),
    ).rejects.toThrow(UnsafeQueryError);
    expect(await parksOf(dbB).count()).toBe(before);
    expect(await parksOf(dbA).findOne({ name: 'smuggled' })).toBeNull();
  });

  it('refuses an id that is not 24-hex', async () => {
    await expect(parksOf(dbA).insertOne({ _id: 'texas', name: 'x' })).rejects.toThrow(UnsafeQueryError);
  });
});

describe('tenant A never sees tenant B', () => {
  it('through findById and findByIds', async () => {
    expect(await parksOf(dbA).findById(parkB._id)).toBeNull();
    expect(await parksOf(dbA).findByIds([parkA._id, parkB._id])).toEqual([parkA]);
  });

  it('through find, findOne and count', async () => {
    expect((await parksOf(dbA).find({})).map((p) => p._id)).toEqual([parkA._id]);
    expect(await parksOf(dbA).findOne({ name: 'B park' })).toBeNull();
    expect(await parksOf(dbA).count()).toBe(1);
    expect(await reservationsOf(dbA).count({ parkId: parkA._id })).toBe(1);
  });

  it('through aggregate', async () => {
    const all = await parksOf(dbA).aggregate<Park>([{ $sort: { name: 1 } }]);
    expect(all.map((p) => p._id)).toEqual([parkA._id]);
    const groups = await reservationsOf(dbA).aggregate([{ $group: { _id: null, n: { $sum: 1 } } }]);
    expect(groups).toEqual([{ _id: null, n: 1 }]);
  });

  it('through an equality $lookup', async () => {
    const joined = await parksOf(dbA).aggregate<Park & { reservations: Reservation[] }>([
      { $lookup: { from: 'reservations', localField: '_id', foreignField: 'parkId', as: 'reservations' } },
    ]);
    expect(joined.map((p) => p.reservations.map((r) => r._id))).toEqual([[reservationA._id]]);
  });

  it('through a pipeline $lookup', async () => {
    const joined = await parksOf(dbA).aggregate<{ reservations: Reservation[] }>([
      {
        $lookup: {
          from: 'reservations',
          let: { park: '$_id' },
          pipeline: [{ $match: { $expr: { $eq: ['$parkId', '$$park'] } } }],
          as: 'reservations',
        },
      },
    ]);
    expect(joined.map((p) => p.reservations.map((r) => r._id))).toEqual([[reservationA._id]]);
  });

  it('through a $lookup inside $facet', async () => {
    const lookup = { from: 'reservations', localField: '_id', foreignField: 'parkId', as: 'reservations' };
    type Facets = { joined: Array<{ reservations: Reservation[] }>; total: unknown[] };
    const [facets] = await parksOf(dbA).aggregate<Facets>([
      { $facet: { joined: [{ $lookup: lookup }], total: [{ $count: 'n' }] } },
    ]);
    expect(facets?.joined.map((p) => p.reservations.map((r) => r._id))).toEqual([[reservationA._id]]);
    expect(facets?.total).toEqual([{ n: 1 }]);
  });

  it('while B sees its own, forged reference included', async () => {
    expect(await reservationsOf(dbB).findById(forgedB._id)).toEqual(forgedB);
    expect(await reservationsOf(dbA).findById(forgedB._id)).toBeNull();
  });
});

describe('tenant A cannot change tenant B', () => {
  it('updateOne on B’s document returns null and leaves it unchanged', async () => {
    expect(await parksOf(dbA).updateOne({ _id: parkB._id }, { $set: { name: 'taken' } })).toBeNull();
    expect(await parksOf(dbB).findById(parkB._id)).toEqual(parkB);
  });

  it('deleteOne on B’s document returns null and leaves it in place', async () => {
    expect(await reservationsOf(dbA).deleteOne({ _id: reservationB._id })).toBeNull();
    expect(await reservationsOf(dbB).findById(reservationB._id)).toEqual(reservationB);
  });

  it('upsertOne matching only B’s document inserts a new one for A instead', async () => {
    const upserted = await parksOf(dbA).upsertOne({ name: 'B park' }, { $set: { capacity: 1 } });
    expect(upserted).toEqual({ _id: ID, tenantId: A, name: 'B park', capacity: 1 });
    expect(await parksOf(dbB).findById(parkB._id)).toEqual(parkB);
    await parksOf(dbA).deleteOne({ _id: upserted._id });
  });

  it('insertIfMissing with B’s id fails instead of touching it', async () => {
    await expect(parksOf(dbA).insertIfMissing({ _id: parkB._id, name: 'B park' })).rejects.toThrow();
    expect(await parksOf(dbB).findById(parkB._id)).toEqual(parkB);
  });
});

describe('operator injection through filters', () => {
  const onlyA = async (filter: Record<string, unknown>) => {
    const found = await parksOf(dbA).find(filter);
    expect(found.map((p) => p.tenantId)).toEqual([A]);
    expect(await parksOf(dbA).count(filter)).toBe(1);
    expect((await parksOf(dbA).findOne(filter))?.tenantId).toBe(A);
  };

  it('{ _id: { $ne: null } } returns only A’s documents', () => onlyA({ _id: { $ne: null } }));
  it('{ $expr: { $eq: [1, 1] } } returns only A’s documents', () => onlyA({ $expr: { $eq: [1, 1] } }));
  it('{ $nor: [{ _id: null }] } returns only A’s documents', () => onlyA({ $nor: [{ _id: null }] }));

  it.each([
    ['{ $or: [{ tenantId: B }, {}] }', { $or: [{ tenantId: B }, {}] }],
    ["{ $where: 'true' }", { $where: 'true' }],
    ['{ tenantId: B }', { tenantId: B }],
    ['{ tenantId: { $in: [A, B] } }', { tenantId: { $in: [A, B] } }],
    ['{ tenantId: { $ne: A } }', { tenantId: { $ne: A } }],
  ])('%s is refused by every operation, before any command', async (_name, filter) => {
    const parks = parksOf(dbA);
    await expect(parks.find(filter)).rejects.toThrow(UnsafeQueryError);
    await expect(parks.findOne(filter)).rejects.toThrow(UnsafeQueryError);
    await expect(parks.count(filter)).rejects.toThrow(UnsafeQueryError);
    await expect(parks.updateOne(filter, { $set: { name: 'x' } })).rejects.toThrow(UnsafeQueryError);
    await expect(parks.deleteOne(filter)).rejects.toThrow(UnsafeQueryError);
    await expect(parks.aggregate([{ $match: filter }])).rejects.toThrow(UnsafeQueryError);
    expect(env.commands).toEqual([]);
  });

  it('findById with an operator object as the id returns null without a query', async () => {
    expect(await parksOf(dbA).findById({ $ne: null })).toBeNull();
    expect(await parksOf(dbA).findById(42)).toBeNull();
    expect(await parksOf(dbA).findById('not-an-id')).toBeNull();
    expect(env.commands).toEqual([]);
  });
});

describe('updates', () => {
  it('returns the document after the update', async () => {
    const updated = await parksOf(dbA).updateOne({ _id: parkA._id }, { $set: { capacity: 11 } });
    expect(updated).toEqual({ ...parkA, capacity: 11 });
    await parksOf(dbA).updateOne({ _id: parkA._id }, { $set: { capacity: 10 } });
  });

  it('refuses $set of tenantId and changes nothing', async () => {
    const moved = parksOf(dbA).updateOne({ _id: parkA._id }, { $set: { tenantId: B, name: 'moved' } });
    await expect(moved).rejects.toThrow(UnsafeQueryError);
    expect(await parksOf(dbA).findById(parkA._id)).toEqual(parkA);
    expect(await parksOf(dbB).findOne({ name: 'moved' })).toBeNull();
  });

  it('refuses changes to _id and replacement documents', async () => {
    const parks = parksOf(dbA);
    await expect(parks.updateOne({ _id: parkA._id }, { $set: { _id: newId() } })).rejects.toThrow(UnsafeQueryError);
    await expect(parks.updateOne({ _id: parkA._id }, { name: 'replaced' })).rejects.toThrow(UnsafeQueryError);
    expect(await parksOf(dbA).findById(parkA._id)).toEqual(parkA);
  });

  it('upsertOne stamps the tenant and a string id, or keeps the id the filter names', async () => {
    const created = await parksOf(dbA).upsertOne({ name: 'upserted' }, { $set: { capacity: 3 } });
    expect(created).toEqual({ _id: ID, tenantId: A, name: 'upserted', capacity: 3 });
    const again = await parksOf(dbA).upsertOne({ name: 'upserted' }, { $set: { capacity: 4 } });
    expect(again).toEqual({ ...created, capacity: 4 });
    const id = newId();
    const byId = await parksOf(dbA).upsertOne({ _id: id }, { $set: { name: 'by id' } });
    expect(byId).toEqual({ _id: id, tenantId: A, name: 'by id' });
    await parksOf(dbA).deleteOne({ _id: created._id });
    await parksOf(dbA).deleteOne({ _id: id });
  });

  it('insertIfMissing inserts once and then leaves the document as it is', async () => {
    const id = newId();
    const seeded = { _id: id, tenantId: A, name: 'seeded' };
    expect(await parksOf(dbA).insertIfMissing({ _id: id, name: 'seeded' })).toEqual(seeded);
    expect(await parksOf(dbA).insertIfMissing({ _id: id, name: 'seeded again' })).toEqual(seeded);
    expect(await parksOf(dbA).count({ _id: id })).toBe(1);
    await parksOf(dbA).deleteOne({ _id: id });
  });
});

describe('aggregate refusals', () => {
  const refused = ['$unionWith', '$graphLookup', '$out', '$merge', '$collStats', '$indexStats'];
  it.each(refused)('refuses %s', async (stage) => {
    await expect(parksOf(dbA).aggregate([{ [stage]: {} }])).rejects.toThrow(UnsafeQueryError);
  });

  it('refuses a $lookup into a platform collection', async () => {
    await expect(
      parksOf(dbA).aggregate([{ $lookup: { from: 'users', localField: 'x', foreignField: '_id', as: 'u' } }]),
    ).rejects.toThrow(UnsafeQueryError);
  });
});

describe('withTransaction', () => {
  it('leaves nothing written when fn throws part-way', async () => {
    const parkId = newId();
    const failure = new Error('part-way');
    await expect(
      dbA.withTransaction(async (tx) => {
        await parksOf(tx).insertOne({ _id: parkId, name: 'in tx' });
        await reservationsOf(tx).insertOne({ parkId, visitorName: 'in tx' });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await parksOf(dbA).findById(parkId)).toBeNull();
    expect(await reservationsOf(dbA).count({ parkId })).toBe(0);
  });

  it('commits both writes, sees its own writes inside, and returns fn’s value', async () => {
    const parkId = newId();
    const result = await dbA.withTransaction(async (tx) => {
      await parksOf(tx).insertOne({ _id: parkId, name: 'committed' });
      await reservationsOf(tx).insertOne({ parkId, visitorName: 'committed' });
      return parksOf(tx).findById(parkId);
    });
    expect(result?.name).toBe('committed');
    expect(await parksOf(dbA).findById(parkId)).not.toBeNull();
    expect(await reservationsOf(dbA).count({ parkId })).toBe(1);
    await reservationsOf(dbA).deleteOne({ parkId });
    await parksOf(dbA).deleteOne({ _id: parkId });
  });

  it('keeps its writes invisible outside until it commits', async () => {
    const parkId = newId();
    await dbA.withTransaction(async (tx) => {
      await parksOf(tx).insertOne({ _id: parkId, name: 'pending' });
      expect(await parksOf(dbA).findById(parkId)).toBeNull();
    });
    expect(await parksOf(dbA).findById(parkId)).not.toBeNull();
    await parksOf(dbA).deleteOne({ _id: parkId });
  });

  it('joins the outer transaction when nested', async () => {
    const parkId = newId();
    await expect(
      dbA.withTransaction(async (tx) => {
        await tx.withTransaction((inner) => parksOf(inner).insertOne({ _id: parkId, name: 'nested' }));
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await parksOf(dbA).findById(parkId)).toBeNull();
  });

  it('scopes operations inside the transaction like outside it', async () => {
    await dbA.withTransaction(async (tx) => {
      expect(await parksOf(tx).findById(parkB._id)).toBeNull();
      await expect(parksOf(tx).find({ tenantId: B })).rejects.toThrow(UnsafeQueryError);
    });
  });
});

describe('onCommand', () => {
  it('sees one command per round trip', async () => {
    await parksOf(dbA).findById(parkA._id);
    expect(env.commands).toEqual(['find']);
    env.commands.length = 0;
    await parksOf(dbA).insertOne({ name: 'counted' });
    await parksOf(dbA).updateOne({ name: 'counted' }, { $set: { capacity: 1 } });
    await parksOf(dbA).aggregate([]);
    await parksOf(dbA).deleteOne({ name: 'counted' });
    expect(env.commands).toEqual(['insert', 'findAndModify', 'aggregate', 'findAndModify']);
  });

  it('sees the transaction commands', async () => {
    await dbA.withTransaction(async (tx) => {
      await parksOf(tx).findById(parkA._id);
    });
    expect(env.commands).toEqual(['find', 'commitTransaction']);
  });

  it('findByIds of no valid id sends nothing', async () => {
    expect(await parksOf(dbA).findByIds(['nope'])).toEqual([]);
    expect(env.commands).toEqual([]);
  });
});

describe('collection names', () => {
  it('refuses a collection that is not tenant-owned', () => {
    expect(() => dbA.collection('users' as never)).toThrow(UnsafeQueryError);
  });

  it('refuses to bind a TenantDb to something that is not a tenant id', () => {
    expect(() => env.database.forTenant('')).toThrow(UnsafeQueryError);
    expect(() => env.database.forTenant({ $ne: null } as never)).toThrow(UnsafeQueryError);
  });
});

import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useMongo } from './harness.js';

const mongo = useMongo();

const sample = {
  _id: new ObjectId(),
  ref: new ObjectId(),
  at: new Date('2024-05-06T07:08:09.010Z'),
  price: Decimal128.fromString('12345678901234567890.123456789'),
  big: Long.fromString('9007199254740993'),
  small: new Int32(7),
  ratio: new Double(2),
  fraction: 0.25,
  bytes: new Binary(Buffer.from([0, 1, 2, 254, 255]), 0),
  uuid: new Binary(Buffer.from('0123456789abcdef0123456789abcdef', 'hex'), 4),
  stamp: new Timestamp({ t: 1_700_000_000, i: 3 }),
  nested: { list: [[1, 2], [{ deep: new ObjectId() }]], empty: {}, none: null },
};

describe('BSON types round-trip exactly', () => {
  it('keeps ObjectId, Date, Decimal128, Long, Binary, Timestamp and nested arrays', async () => {
    const types = mongo.db.collection('types_roundtrip');
    await types.insertOne({ ...sample });
    const back = await types.findOne({ _id: sample._id }, { promoteValues: false, promoteLongs: false });
    expect(back?.ref).toEqual(sample.ref);
    expect(back?.at).toEqual(sample.at);
    expect(back?.price.toString()).toBe('12345678901234567890.123456789');
    expect(back?.big).toBeInstanceOf(Long);
    expect(back?.big.toString()).toBe('9007199254740993');
    expect(back?.small).toBeInstanceOf(Int32);
    expect(back?.ratio).toBeInstanceOf(Double);
    expect(back?.ratio.valueOf()).toBe(2);
    expect(Buffer.from(back?.bytes.buffer).toString('hex')).toBe('000102feff');
    expect(back?.uuid.sub_type).toBe(4);
    expect(back?.stamp).toEqual(sample.stamp);
    expect(back?.nested.list[0].map(Number)).toEqual([1, 2]);
    expect(back?.nested.list[1][0]).toEqual(sample.nested.list[1]?.[0]);
    expect(back?.nested.empty).toEqual({});
    expect(back?.nested.none).toBeNull();
  });

  it('matches ObjectId, Date and string fields by $type', async () => {
    const types = mongo.db.collection('types_roundtrip');
    expect(
      await types.countDocuments({ ref: { $type: 'objectId' }, at: { $type: 9 }, 'nested.list': { $type: 'array' } }),
    ).toBe(1);
    expect(await types.countDocuments({ ref: { $type: 'string' } })).toBe(0);
  });

  it('returns Long as bigint with useBigInt64 and matches it in filters', async () => {
    const types = mongo.db.collection('types_bigint');
    await types.insertOne({ n: 9007199254740993n, label: 'big' });
    const back = await types.findOne({ n: 9007199254740993n }, { useBigInt64: true });
    expect(back?.n).toBe(9007199254740993n);
    const viaLong = await types.findOne({ n: Long.fromString('9007199254740993') });
    expect(viaLong?.label).toBe('big');
  });

  it('compares numbers across Int32, Double, Long and Decimal128', async () => {
    const numbers = mongo.db.collection('types_numbers');
    await numbers.insertMany([
      { v: new Int32(1) },
      { v: new Double(2.5) },
      { v: Long.fromNumber(3) },
      { v: Decimal128.fromString('4.75') },
    ]);
    expect(await numbers.countDocuments({ v: { $gte: 2 } })).toBe(3);
    expect(await numbers.countDocuments({ v: 3 })).toBe(1);
    expect(await numbers.countDocuments({ v: { $type: 'long' } })).toBe(1);
    expect(await numbers.countDocuments({ v: { $type: 'int' } })).toBe(1);
    expect(await numbers.countDocuments({ v: { $type: ['double', 'decimal'] } })).toBe(2);
    expect(await numbers.countDocuments({ v: { $type: 'number' } })).toBe(4);
    const sorted = await numbers.find({}, { promoteValues: false }).sort({ v: -1 }).toArray();
    expect(sorted.map((doc) => doc.v._bsontype)).toEqual(['Decimal128', 'Long', 'Double', 'Int32']);
  });

  it('keeps Long and Decimal128 types through updates', async () => {
    const accounts = mongo.db.collection('types_updates');
    await accounts.insertOne({
      _id: 1 as never,
      hits: Long.fromNumber(10),
      balance: Decimal128.fromString('1.5'),
      untouched: Long.fromNumber(5),
    });
    await accounts.updateOne(
      { _id: 1 as never },
      { $inc: { hits: 1 }, $set: { limit: Decimal128.fromString('99.99') } },
    );
    const back = await accounts.findOne({ _id: 1 as never }, { promoteLongs: false });
    expect(back?.hits).toBeInstanceOf(Long);
    expect(back?.hits.toString()).toBe('11');
    expect(back?.balance).toBeInstanceOf(Decimal128);
    expect(back?.balance.toString()).toBe('1.5');
    expect(back?.limit.toString()).toBe('99.99');
    expect(back?.untouched).toBeInstanceOf(Long);
  });

  it('keeps stored types through aggregation stages that pass documents on', async () => {
    const ledger = mongo.db.collection('types_aggregate');
    await ledger.insertOne({ k: 'a', amount: Decimal128.fromString('10.10'), count: Long.fromNumber(2) });
    const [doc] = await ledger
      .aggregate([{ $match: { amount: { $gt: 10 } } }, { $addFields: { seen: true } }], { promoteLongs: false })
      .toArray();
    expect(doc?.amount).toBeInstanceOf(Decimal128);
    expect(doc?.amount.toString()).toBe('10.10');
    expect(doc?.count).toBeInstanceOf(Long);
    expect(doc?.seen).toBe(true);
  });
});

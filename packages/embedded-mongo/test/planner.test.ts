import { ObjectId } from 'bson';
import type { Document } from 'bson';
import { describe, expect, it } from 'vitest';
import { Collection, storedDocument } from '../src/storage/collection.js';
import { parseCollation } from '../src/query/collation.js';
import { parseIndexSpec } from '../src/storage/index-spec.js';
import { candidateDocuments } from '../src/storage/planner.js';

function collectionOf(count: number): { collection: Collection; ids: ObjectId[] } {
  const collection = new Collection('db', 'items');
  collection.createIndex(parseIndexSpec({ key: { tenantId: 1, kind: 1 } }));
  collection.createIndex(
    parseIndexSpec({ key: { tenantId: 1, state: 1 }, partialFilterExpression: { state: 'open' } }),
  );
  const ids: ObjectId[] = [];
  for (let i = 0; i < count; i++) {
    const doc: Document = {
      _id: new ObjectId(),
      tenantId: `t${i % 10}`,
      kind: i % 2 === 0 ? 'even' : 'odd',
      tags: [`g${i % 5}`],
    };
    ids.push(doc._id as ObjectId);
    collection.write(null, storedDocument(doc, 1));
  }
  return { collection, ids };
}

function candidates(collection: Collection, filter: Document): number {
  return [...candidateDocuments(collection, filter)].length;
}

describe('the query planner picks candidates without scanning', () => {
  const { collection, ids } = collectionOf(1000);

  it('looks documents up by _id, including $in', () => {
    expect(candidates(collection, { _id: ids[5] })).toBe(1);
    expect(candidates(collection, { _id: { $in: [ids[1], ids[2], new ObjectId()] } })).toBe(2);
    expect(candidates(collection, { _id: { $eq: ids[3] }, other: { $gt: 1 } })).toBe(1);
  });

  it('uses the longest equality prefix of a declared index, also inside $and', () => {
    expect(candidates(collection, { tenantId: 't3' })).toBe(100);
    expect(candidates(collection, { tenantId: 't3', kind: 'odd' })).toBe(100);
    expect(candidates(collection, { tenantId: 't4', kind: 'even' })).toBe(100);
    expect(candidates(collection, { tenantId: 't4', kind: 'odd' })).toBe(0);
    expect(candidates(collection, { $and: [{ tenantId: { $in: ['t1', 't3'] } }, { kind: { $eq: 'odd' } }] })).toBe(200);
    expect(candidates(collection, { tenantId: 't1', createdAt: { $gt: 5 } })).toBe(100);
  });

  it('scans when no index can answer: non-leading fields, $or, null, regular expressions, partial indexes', () => {
    expect(candidates(collection, { kind: 'odd' })).toBe(1000);
    expect(candidates(collection, { $or: [{ tenantId: 't1' }] })).toBe(1000);
    expect(candidates(collection, { tenantId: null })).toBe(1000);
    expect(candidates(collection, { tenantId: /t1/ })).toBe(1000);
    expect(candidates(collection, { state: 'open' })).toBe(1000);
  });

  it('keeps the index maps in step with updates and deletes', () => {
    const { collection: small, ids: smallIds } = collectionOf(10);
    const first = small.records.get(storedDocument({ _id: smallIds[0] }, 0).id);
    expect(first).toBeDefined();
    small.write(first ?? null, storedDocument({ _id: smallIds[0], tenantId: 'moved', kind: 'x' }, 2));
    expect(candidates(small, { tenantId: 'moved' })).toBe(1);
    expect(candidates(small, { tenantId: 't0' })).toBe(0);
    const moved = small.records.get(storedDocument({ _id: smallIds[0] }, 0).id) ?? null;
    small.write(moved, null);
    expect(candidates(small, { tenantId: 'moved' })).toBe(0);
  });
});

describe('the planner and collations', () => {
  const caseInsensitive = parseCollation({ locale: 'en', strength: 2 });
  const collection = new Collection('db', 'words');
  collection.createIndex(parseIndexSpec({ key: { word: 1 }, collation: { locale: 'en', strength: 2 } }));
  collection.createIndex(parseIndexSpec({ key: { code: 1 } }));
  for (let i = 0; i < 100; i++) {
    collection.write(
      null,
      storedDocument(
        { _id: i, word: i % 2 === 0 ? 'coffee' : i % 4 === 1 ? 'Tea' : 'tea', code: `c${i % 4}`, n: i },
        1,
      ),
    );
  }

  it('uses an index for strings only under the index collation', () => {
    expect([...candidateDocuments(collection, { word: 'TEA' }, caseInsensitive)]).toHaveLength(50);
    expect([...candidateDocuments(collection, { code: 'c1' })]).toHaveLength(25);
    expect([...candidateDocuments(collection, { code: 'c1' }, caseInsensitive)]).toHaveLength(100);
    expect([...candidateDocuments(collection, { word: 'tea' })]).toHaveLength(100);
  });

  it('uses the _id map for non-string values under any collation, and scans for strings', () => {
    expect([...candidateDocuments(collection, { _id: 7 }, caseInsensitive)]).toHaveLength(1);
    expect([...candidateDocuments(collection, { _id: 'x' }, caseInsensitive)]).toHaveLength(100);
  });
});

import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { storedDocument } from '../src/storage/collection.js';
import { parseIndexSpec } from '../src/storage/index-spec.js';

describe('TTL indexes', () => {
  it('expire documents whose date is older than expireAfterSeconds, logging deletes', () => {
    const engine = new Engine({ host: '127.0.0.1', port: 0, replSetName: 'rs0' });
    try {
      const sessions = engine.ensureCollection('db', 'sessions');
      sessions.createIndex(parseIndexSpec({ key: { seenAt: 1 }, expireAfterSeconds: 60 }));
      const now = Date.parse('2024-01-01T12:00:00Z');
      const docs = [
        { _id: 'stale', seenAt: new Date(now - 61_000) },
        { _id: 'fresh', seenAt: new Date(now - 59_000) },
        { _id: 'mixed', seenAt: [new Date(now), new Date(now - 120_000)] },
        { _id: 'no-date', seenAt: 'yesterday' },
        { _id: 'missing' },
      ];
      for (const doc of docs) sessions.write(null, storedDocument(doc, 0));
      engine.expireDocuments(now);
      expect([...sessions.records.values()].map((record) => record.doc._id)).toEqual(['fresh', 'no-date', 'missing']);
      // The collection's creation, then one delete per expired document.
      const kinds = Array.from({ length: engine.changes.length }, (_, index) => engine.changes.at(index)?.kind);
      expect(kinds).toEqual(['create', 'delete', 'delete']);
    } finally {
      engine.close();
    }
  });
});

import type { Db } from 'mongodb';
import type { CatalogIndex } from './collection-catalog.js';

export interface IndexOptions {
  /** The lifetime of export events (EVENT_RETENTION_DAYS), for the TTL index on their `time`. */
  eventRetentionSeconds: number;
}

/** MongoDB's answer to createIndexes for an existing index whose options (here: its TTL) differ. */
const INDEX_OPTIONS_CONFLICT = 85;

/**
 * A TTL index, created on its own: when the retention changed since it was created, createIndexes
 * refuses the new lifetime, and collMod changes it in place.
 */
async function ensureTtlIndex(db: Db, index: CatalogIndex, expireAfterSeconds: number): Promise<void> {
  try {
    await db.collection(index.collection).createIndex({ ...index.key }, { expireAfterSeconds });
  } catch (error) {
    if ((error as { code?: unknown }).code !== INDEX_OPTIONS_CONFLICT) throw error;
    await db.command({ collMod: index.collection, index: { keyPattern: { ...index.key }, expireAfterSeconds } });
  }
}

/**
 * Creates every index of the catalog (src/data/collection-catalog.ts); creating an index that exists
 * with the same definition is a no-op.
 */
export async function ensureIndexes(db: Db, indexes: readonly CatalogIndex[], options: IndexOptions): Promise<void> {
  const byCollection = new Map<string, CatalogIndex[]>();
  const ttl = indexes.filter((index) => index.expireAfter !== undefined);
  for (const index of indexes.filter((declared) => declared.expireAfter === undefined)) {
    byCollection.set(index.collection, [...(byCollection.get(index.collection) ?? []), index]);
  }
  await Promise.all([
    ...[...byCollection].map(([collection, indexes]) =>
      db
        .collection(collection)
        .createIndexes(
          indexes.map((index) => ({ key: { ...index.key }, ...(index.unique === true && { unique: true }) })),
        ),
    ),
    ...ttl.map((index) =>
      ensureTtlIndex(db, index, index.expireAfter === 'eventRetention' ? options.eventRetentionSeconds : 0),
    ),
  ]);
}

import type { Db } from 'mongodb';
import type { CatalogIndex, CollectionCatalog } from './collection-catalog.js';

export interface IndexOptions {
  /** The lifetime of export events (EVENT_RETENTION_DAYS), for the TTL index on their `time`. */
  eventRetentionSeconds: number;
}

/** MongoDB's answer to createIndexes for an existing index whose options (here: its TTL) differ. */
const INDEX_OPTIONS_CONFLICT = 85;
/** dropIndexes of an index that does not exist (already dropped), or in a collection that does not. */
const INDEX_NOT_FOUND = 27;
const NAMESPACE_NOT_FOUND = 26;

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
 * Creates every index of the catalog (src/data/collection-catalog.ts), then drops the retired ones:
 * creating an index that exists with the same definition is a no-op, and so is dropping one that is
 * gone, so every start-up may run it.
 */
export async function ensureIndexes(
  db: Db,
  catalog: Pick<CollectionCatalog, 'indexes' | 'retiredIndexes'>,
  options: IndexOptions,
): Promise<void> {
  await createIndexes(db, catalog.indexes, options);
  for (const retired of catalog.retiredIndexes) {
    try {
      await db.collection(retired.collection).dropIndex({ ...retired.key } as never);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== INDEX_NOT_FOUND && code !== NAMESPACE_NOT_FOUND) throw error;
    }
  }
}

async function createIndexes(db: Db, indexes: readonly CatalogIndex[], options: IndexOptions): Promise<void> {
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

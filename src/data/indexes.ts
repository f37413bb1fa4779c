import type { Db } from 'mongodb';
import type { PlatformCollectionName, TenantCollectionName } from './collection-names.js';

export interface IndexDeclaration {
  collection: TenantCollectionName | PlatformCollectionName;
  /** Field → direction, in key order. */
  key: Readonly<Record<string, 1 | -1>>;
  unique?: boolean;
  /**
   * A TTL index: the server deletes a document once the date in the index's one field is older than
   * the event retention given to ensureIndexes. MongoDB honours TTL on single-field indexes only, so
   * such an index cannot start with tenantId: it serves the server's expiry, never a tenant query.
   */
  expireAfter?: 'eventRetention';
}

export interface IndexOptions {
  /** The lifetime of export events (EVENT_RETENTION_DAYS), for the TTL index on their `time`. */
  eventRetentionSeconds: number;
}

/**
 * Every index of the application, as data. Indexes of tenant collections start with `tenantId`, so
 * each query (always scoped to one tenant) reads one tenant's range of the index and no other's.
 */
export const INDEXES: readonly IndexDeclaration[] = [
  { collection: 'parks', key: { tenantId: 1, _id: 1 } },
  { collection: 'parks', key: { tenantId: 1, name: 1 } },
  { collection: 'reservations', key: { tenantId: 1, _id: 1 } },
  { collection: 'reservations', key: { tenantId: 1, parkId: 1, date: 1 } },
  { collection: 'reservations', key: { tenantId: 1, date: 1 } },
  { collection: 'apiKeys', key: { tenantId: 1, createdAt: 1 } },
  // The tenant's commit order of export events: one position per event.
  { collection: 'events', key: { tenantId: 1, position: 1 }, unique: true },
  // Retention of export events: the server's TTL monitor removes them (a cursor older is refused).
  { collection: 'events', key: { time: 1 }, expireAfter: 'eventRetention' },
  { collection: 'eventCounters', key: { tenantId: 1, _id: 1 } },
  { collection: 'trustedOperations', key: { tenantId: 1, name: 1 }, unique: true },
  // A persisted query is looked up by its hash; one document is one operation of the tenant.
  { collection: 'trustedOperations', key: { tenantId: 1, hash: 1 }, unique: true },
  { collection: 'exportLinkSecrets', key: { tenantId: 1 }, unique: true },
  { collection: 'users', key: { subject: 1 }, unique: true },
  { collection: 'users', key: { email: 1 }, unique: true },
  { collection: 'tenants', key: { slug: 1 }, unique: true },
  { collection: 'memberships', key: { userId: 1, tenantId: 1 }, unique: true },
  // A tenant's member list.
  { collection: 'memberships', key: { tenantId: 1, userId: 1 } },
];

/** MongoDB's answer to createIndexes for an existing index whose options (here: its TTL) differ. */
const INDEX_OPTIONS_CONFLICT = 85;

/**
 * A TTL index, created on its own: when the retention changed since it was created, createIndexes
 * refuses the new lifetime, and collMod changes it in place.
 */
async function ensureTtlIndex(db: Db, index: IndexDeclaration, expireAfterSeconds: number): Promise<void> {
  try {
    await db.collection(index.collection).createIndex({ ...index.key }, { expireAfterSeconds });
  } catch (error) {
    if ((error as { code?: unknown }).code !== INDEX_OPTIONS_CONFLICT) throw error;
    await db.command({ collMod: index.collection, index: { keyPattern: { ...index.key }, expireAfterSeconds } });
  }
}

/** Creates every declared index; creating an index that exists with the same definition is a no-op. */
export async function ensureIndexes(db: Db, options: IndexOptions): Promise<void> {
  const byCollection = new Map<string, IndexDeclaration[]>();
  const ttl = INDEXES.filter((index) => index.expireAfter !== undefined);
  for (const index of INDEXES.filter((declared) => declared.expireAfter === undefined)) {
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
    ...ttl.map((index) => ensureTtlIndex(db, index, options.eventRetentionSeconds)),
  ]);
}

import type { Db } from 'mongodb';
import type { PlatformCollectionName, TenantCollectionName } from './collection-names.js';

export interface IndexDeclaration {
  collection: TenantCollectionName | PlatformCollectionName;
  /** Field → direction, in key order. */
  key: Readonly<Record<string, 1 | -1>>;
  unique?: boolean;
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
  { collection: 'trustedOperations', key: { tenantId: 1, name: 1 }, unique: true },
  { collection: 'users', key: { subject: 1 }, unique: true },
  { collection: 'users', key: { email: 1 }, unique: true },
  { collection: 'tenants', key: { slug: 1 }, unique: true },
  { collection: 'memberships', key: { userId: 1, tenantId: 1 }, unique: true },
  // A tenant's member list.
  { collection: 'memberships', key: { tenantId: 1, userId: 1 } },
];

/** Creates every declared index; creating an index that exists with the same definition is a no-op. */
export async function ensureIndexes(db: Db): Promise<void> {
  const byCollection = new Map<string, IndexDeclaration[]>();
  for (const index of INDEXES) {
    byCollection.set(index.collection, [...(byCollection.get(index.collection) ?? []), index]);
  }
  await Promise.all(
    [...byCollection].map(([collection, indexes]) =>
      db.collection(collection).createIndexes(
        indexes.map((index) => ({ key: { ...index.key }, ...(index.unique === true && { unique: true }) })),
      ),
    ),
  );
}

import { defineModule } from '../module.js';

/**
 * Idempotency keys of mutations (contract section 11): no schema of its own, two collections (the
 * tenant's placement's, and the shared database's for mutations of platform data). The keys are
 * claimed and replayed by the HTTP transport (src/server/plugins/idempotency.ts) through key-store.ts.
 */
export const idempotencyModule = defineModule({
  name: 'idempotency',
  typeDefs: [],
  resolvers: {},
  permissions: {},
  collections: [
    {
      name: 'idempotencyKeys',
      owner: 'tenant',
      indexes: [
        // One claim per key of a credential in a tenant: the first request inserts it, duplicates read it.
        { key: { tenantId: 1, credential: 1, key: 1 }, unique: true },
        // A key is replayed for 24 hours (expiresAt), then the server removes it.
        { key: { expiresAt: 1 }, expireAfter: 'theDate' },
      ],
    },
    {
      // The keys of mutations of platform data (API keys, members, the stored active tenant): kept in
      // the shared database with what they change, so that one transaction holds both. Their
      // responses hold new API keys' secrets: never in an export archive.
      name: 'sharedIdempotencyKeys',
      owner: 'tenant',
      shared: true,
      secret: true,
      indexes: [
        { key: { tenantId: 1, credential: 1, key: 1 }, unique: true },
        { key: { expiresAt: 1 }, expireAfter: 'theDate' },
      ],
    },
  ],
});

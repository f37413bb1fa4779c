import { defineModule } from '../module.js';

/**
 * Idempotency keys of mutations (contract section 11): no schema of its own, a collection. The keys are
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
  ],
});

import { allOf, can } from '../../authz/rules.js';
import { defineModule } from '../module.js';
import { apiKeyResolvers } from './resolvers.js';

/** The API keys of the active tenant (stored as hashes; the secret is shown once). */
export const apiKeysModule = defineModule({
  name: 'api-keys',
  typeDefs: ['api-keys.graphql'],
  resolvers: apiKeyResolvers,
  // Shared whatever the tenant's placement: a key is looked up by its id before its tenant is known.
  collections: [{ name: 'apiKeys', owner: 'tenant', shared: true, indexes: [{ key: { tenantId: 1, createdAt: 1 } }] }],
  globalIdTypes: ['ApiKey'],
  mutations: { createApiKey: 'sharedTransaction', revokeApiKey: 'sharedTransaction' },
  permissions: {
    Query: { apiKeys: can('manageTenant') },
    Mutation: { createApiKey: can('manageTenant'), revokeApiKey: can('manageTenant') },
    ApiKey: allOf(
      can('manageTenant'),
      'id',
      'name',
      'roles',
      'createdAt',
      'expiresAt',
      'revokedAt',
      'lastUsedAt',
      'operations',
      'createdBy',
      'limits',
    ),
    ApiKeyLimits: allOf(can('manageTenant'), 'restoreRate', 'bucketSize', 'maxCost'),
    CreatedApiKey: allOf(can('manageTenant'), 'apiKey', 'secret'),
  },
});

import { allOf, can } from '../../authz/rules.js';
import { defineModule } from '../module.js';
import { limitsResolvers } from './resolvers.js';

/** The tenant's rate limit and usage ledger as the API shows them (src/limits holds the limits themselves). */
export const limitsModule = defineModule({
  name: 'limits',
  typeDefs: ['limits.graphql'],
  resolvers: limitsResolvers,
  collections: [
    // The usage ledger: one document per tenant and hour. Its TTL index (a single field, so not
    // starting with tenantId) is created by src/data/limits-store.ts.
    // Shared whatever the tenant's placement: the platform writes the ledger (src/data/limits-store.ts).
    { name: 'usage', owner: 'tenant', shared: true, indexes: [{ key: { tenantId: 1, hour: 1 } }] },
    // The latest consumption report of each instance for each tenant (src/limits/reconciler.ts).
    { name: 'rateLimitConsumption', owner: 'platform', indexes: [{ key: { tenantId: 1, instanceId: 1 } }] },
  ],
  permissions: {
    Query: { rateLimit: can('readTenantData'), usage: can('readUsage') },
    RateLimit: allOf(
      can('readTenantData'),
      'plan',
      'remaining',
      'restoreRate',
      'maximum',
      'resetSeconds',
      'maxCostPerOperation',
    ),
    UsageHour: allOf(
      can('readUsage'),
      'hour',
      'requests',
      'costAdmitted',
      'requestsThrottled',
      'rowsExported',
      'eventsDelivered',
      'bytesSent',
    ),
  },
});

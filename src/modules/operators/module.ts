import { defineModule } from '../module.js';

/**
 * The platform data of the operator plane (src/admin/): invitations waiting for their address's first
 * sign-in, and the operators' audit log. Platform collections, like memberships: they name a tenant
 * but are not read through its TenantDb. No SDL: the operator API has its own schema, never the subgraph's.
 */
export const operatorsModule = defineModule({
  name: 'operators',
  typeDefs: [],
  resolvers: {},
  collections: [
    {
      name: 'invitations',
      owner: 'platform',
      indexes: [{ key: { email: 1, tenantId: 1 }, unique: true }, { key: { tenantId: 1, email: 1 } }],
    },
    {
      name: 'operatorAudit',
      owner: 'platform',
      indexes: [{ key: { at: -1 } }, { key: { tenant: 1, at: -1 } }],
    },
  ],
  permissions: {},
});

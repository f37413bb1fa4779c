import { allOf, can } from '../../authz/rules.js';
import { defineModule } from '../module.js';
import { biResolvers } from './resolvers.js';

/** Trusted (persisted) operations for BI tools and signed export links (src/bi holds the domain logic). */
export const biModule = defineModule({
  name: 'bi',
  typeDefs: ['bi.graphql'],
  resolvers: biResolvers,
  collections: [
    {
      name: 'trustedOperations',
      owner: 'tenant',
      indexes: [
        { key: { tenantId: 1, name: 1 }, unique: true },
        // A persisted query is looked up by its hash; one document is one operation of the tenant.
        { key: { tenantId: 1, hash: 1 }, unique: true },
      ],
    },
    // One document per tenant: the secret that signs its export links (src/bi/export-links.ts).
    // The tenant's signing secret: never in an export archive.
    { name: 'exportLinkSecrets', owner: 'tenant', secret: true, indexes: [{ key: { tenantId: 1 }, unique: true }] },
  ],
  // An export link acting as the viewer is shown as a pseudo-user with this id type.
  globalIdTypes: ['ExportLink'],
  mutations: {
    registerTrustedOperation: 'tenantTransaction',
    removeTrustedOperation: 'tenantTransaction',
    createExportLink: 'tenantTransaction',
    rotateExportLinkSecret: 'tenantTransaction',
  },
  permissions: {
    Query: { trustedOperations: can('analyze') }, // a BI author needs the names and hashes of what can run
    Mutation: {
      registerTrustedOperation: can('manageTenant'),
      removeTrustedOperation: can('manageTenant'),
      createExportLink: can('analyze'),
      rotateExportLinkSecret: can('manageTenant'),
    },
    TrustedOperation: allOf(can('analyze'), 'id', 'name', 'body', 'source', 'createdAt'),
    ExportLink: allOf(can('analyze'), 'url', 'expiresAt'),
  },
});

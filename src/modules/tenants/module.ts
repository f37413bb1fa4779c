import { allOf, isAuthenticated, isUser } from '../../authz/rules.js';
import { defineModule } from '../module.js';
import { tenantResolvers } from './resolvers.js';

/** Who is calling and in which tenant: `viewer`, `switchTenant`, and the tenants and users themselves. */
export const tenantsModule = defineModule({
  name: 'tenants',
  typeDefs: ['tenancy.graphql'],
  resolvers: tenantResolvers,
  collections: [
    {
      name: 'users',
      owner: 'platform',
      // A user is one identity provider's subject: `sub` is unique per issuer only. Subject first, so
      // that the users of one subject (every issuer's) are one index range.
      indexes: [
        { key: { subject: 1, issuer: 1 }, unique: true },
        { key: { email: 1 }, unique: true },
      ],
      retiredIndexes: [{ key: { subject: 1 } }],
    },
    { name: 'tenants', owner: 'platform', indexes: [{ key: { slug: 1 }, unique: true }] },
    // Where each tenant that ever moved keeps its data (src/data/placement.ts); `_id` is the tenant id.
    { name: 'tenantPlacements', owner: 'platform', indexes: [{ key: { tenantId: 1 }, unique: true }] },
  ],
  globalIdTypes: ['Tenant', 'User'],
  mutations: { switchTenant: 'sharedTransaction' },
  permissions: {
    Query: { viewer: isAuthenticated },
    Mutation: { switchTenant: isUser }, // an API key is bound to its tenant
    Viewer: allOf(isAuthenticated, 'user', 'tenant', 'roles', 'memberships'),
    User: allOf(isAuthenticated, 'id', 'email'),
    Membership: allOf(isAuthenticated, 'tenant', 'roles'),
    Tenant: allOf(isAuthenticated, 'id', 'slug', 'name'),
  },
});

import { forbidden } from '../../errors.js';
import type { Resolvers } from '../../generated/graphql.js';
import { toActive } from '../../tenancy/active-tenant.js';
import type { UserDocument } from '../../tenancy/identity-documents.js';
import { fromGlobalId, toGlobalId } from '../global-id.js';
import { describeViewer } from './viewer.js';

export const tenantResolvers: Resolvers = {
  Query: {
    viewer: (_parent, _args, ctx) => describeViewer(ctx.services.identity, ctx.principal, ctx.tenant, ctx.roles),
  },
  Mutation: {
    switchTenant: async (_parent, { slug }, { principal, services }) => {
      if (principal.kind !== 'user') throw forbidden('Only users switch tenants');
      const { identity, database } = services;
      const tenant = await identity.tenantBySlug(slug);
      const memberships = await identity.membershipsOfUser(principal.userId);
      const membership = tenant && memberships.find((m) => m.tenantId === tenant._id && m.roles.length > 0);
      if (!tenant || !membership) throw forbidden('Not a member of this tenant');
      await database.platform
        .collection<UserDocument>('users')
        .updateOne({ _id: principal.userId }, { $set: { activeTenantId: tenant._id } });
      identity.forgetUser(principal.subject);
      return describeViewer(identity, principal, toActive(tenant), membership.roles);
    },
  },
  Tenant: {
    id: (tenant) => toGlobalId('Tenant', tenant.id),
    /** Only the active tenant resolves: any other tenant's id is reported as missing. */
    __resolveReference: (reference, ctx) => {
      const id = fromGlobalId('Tenant', (reference as { id?: unknown }).id);
      return id !== null && ctx.tenant?.id === id ? ctx.tenant : null;
    },
  },
};

import type { RequestContext } from '../../context.js';
import type { Resolvers } from '../../generated/graphql.js';
import { fromGlobalId, requireRawId, toGlobalId } from '../global-id.js';
import { parsePageArgs } from '../pagination.js';
import { requireTenantDb } from '../tenant-db-of.js';
import type { ParkDocument } from './park-document.js';
import { createPark, deletePark, listParks, updatePark } from './park-repository.js';

/**
 * The park a global id names in the caller's tenant, or null. Garbage, another type's id, a
 * reference key that is not a string and another tenant's park all come back null, and only a
 * well-formed raw id ever reaches a query.
 */
function loadPark(ctx: RequestContext, id: unknown): Promise<ParkDocument | null> | null {
  const parkId = fromGlobalId('Park', id);
  return parkId === null ? null : ctx.loaders.parkById.load(parkId);
}

/** Later reads in the same request (e.g. `Reservation.park`) must see what the mutation wrote. */
function remember(ctx: RequestContext, park: ParkDocument): ParkDocument {
  ctx.loaders.parkById.clear(park._id).prime(park._id, park);
  return park;
}

export const parkResolvers: Resolvers = {
  Query: {
    park: (_parent, { id }, ctx) => loadPark(ctx, id),
    parks: async (_parent, args, ctx) => {
      const page = await listParks(requireTenantDb(ctx), args);
      // Reservations of these parks asking for their park then find it without a query.
      for (const park of page.nodes) ctx.loaders.parkById.prime(park._id, park);
      return page;
    },
  },
  Mutation: {
    createPark: async (_parent, { input }, ctx) => remember(ctx, await createPark(requireTenantDb(ctx), input)),
    updatePark: async (_parent, { id, input }, ctx) =>
      remember(ctx, await updatePark(requireTenantDb(ctx), requireRawId('Park', id), input)),
    deletePark: async (_parent, { id }, ctx) => {
      const park = await deletePark(requireTenantDb(ctx), requireRawId('Park', id));
      ctx.loaders.parkById.clear(park._id).prime(park._id, null);
      return toGlobalId('Park', park._id);
    },
  },
  Park: {
    __resolveReference: (reference, ctx) => loadPark(ctx, reference.id),
    id: (park) => toGlobalId('Park', park._id),
    reservations: (park, args, ctx) =>
      ctx.loaders.reservationsByPark.load({ parkId: park._id, ...parsePageArgs(args) }),
  },
};

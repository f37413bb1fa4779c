import type { RequestContext } from '../../context.js';
import type { Resolvers } from '../../generated/graphql.js';
import { fromGlobalId, requireRawId, toGlobalId } from '../global-id.js';
import { requireTenantDb } from '../tenant-db-of.js';
import type { ReservationDocument } from './reservation-document.js';
import { cancelReservation, createReservation, listReservations } from './reservation-repository.js';
import { reservationStats } from './stats.js';

/** The reservation a global id names in the caller's tenant, or null, like `loadPark`. */
function loadReservation(ctx: RequestContext, id: unknown): Promise<ReservationDocument | null> | null {
  const reservationId = fromGlobalId('Reservation', id);
  return reservationId === null ? null : ctx.loaders.reservationById.load(reservationId);
}

/**
 * Later reads in the same request must see what the mutation wrote: the reservation itself, and
 * any page of a park's reservations (which may now hold it, or show its new status).
 */
function remember(ctx: RequestContext, reservation: ReservationDocument): ReservationDocument {
  ctx.loaders.reservationById.clear(reservation._id).prime(reservation._id, reservation);
  ctx.loaders.reservationsByPark.clearAll();
  return reservation;
}

export const reservationResolvers: Resolvers = {
  Query: {
    reservation: (_parent, { id }, ctx) => loadReservation(ctx, id),
    reservations: (_parent, args, ctx) => listReservations(requireTenantDb(ctx), args),
    reservationStats: (_parent, { groupBy, from, to }, ctx) =>
      reservationStats(requireTenantDb(ctx), groupBy, from ?? null, to ?? null),
  },
  Mutation: {
    createReservation: async (_parent, { input }, ctx) =>
      remember(ctx, await createReservation(requireTenantDb(ctx), input)),
    cancelReservation: async (_parent, { id }, ctx) =>
      remember(ctx, await cancelReservation(requireTenantDb(ctx), requireRawId('Reservation', id))),
  },
  Reservation: {
    __resolveReference: (reference, ctx) => loadReservation(ctx, reference.id),
    id: (reservation) => toGlobalId('Reservation', reservation._id),
    park: async (reservation, _args, ctx) => {
      // Parks with reservations cannot be deleted, so a missing park means broken data: say so.
      const park = await ctx.loaders.parkById.load(reservation.parkId);
      if (!park) throw new Error(`Reservation ${reservation._id} names a park that does not exist`);
      return park;
    },
  },
};

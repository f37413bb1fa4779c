export type { ReservationDocument, ReservationStatus } from './reservation-document.js';
export { reservationResolvers } from './resolvers.js';

export type ReservationStatus = 'CONFIRMED' | 'CANCELLED';

/** A reservation as stored in the `reservations` collection; `tenantId` is stamped by the data layer. */
export interface ReservationDocument {
  _id: string;
  tenantId: string;
  /** Raw `_id` of a park of the same tenant. */
  parkId: string;
  visitorName: string;
  visitorEmail: string;
  partySize: number;
  /** A calendar date, `YYYY-MM-DD`. */
  date: string;
  status: ReservationStatus;
  createdAt: Date;
  updatedAt: Date;
}

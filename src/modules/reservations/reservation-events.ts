import type { TenantDb } from '../../data/tenant-db.js';
import { recordEvent, type NewEvent } from '../../events/outbox.js';
import { toGlobalId } from '../global-id.js';
import type { ReservationDocument } from './reservation-document.js';

/**
 * The export events of reservations; their `data` shows a `Reservation`, whose personal data is
 * withheld from subscribers who may not read it (its `readPii` fields in the permission map).
 */
export const RESERVATION_EVENTS = [
  { type: 'reservation.created', shows: 'Reservation' },
  { type: 'reservation.cancelled', shows: 'Reservation' },
] as const;

export type ReservationEventType = (typeof RESERVATION_EVENTS)[number]['type'];

/**
 * A reservation as GraphQL shows it, its park as `{ id }`. It holds `visitorEmail`: the event keeps
 * it, and delivery leaves it out for subscribers who may not read personal data (src/events/).
 */
const reservationData = (reservation: ReservationDocument) => ({
  id: toGlobalId('Reservation', reservation._id),
  park: { id: toGlobalId('Park', reservation.parkId) },
  visitorName: reservation.visitorName,
  visitorEmail: reservation.visitorEmail,
  partySize: reservation.partySize,
  date: reservation.date,
  status: reservation.status,
});

/** The reservation's export event of a change. */
export const reservationEvent = (type: ReservationEventType, reservation: ReservationDocument): NewEvent => ({
  type,
  subject: toGlobalId('Reservation', reservation._id),
  data: reservationData(reservation),
});

/** Records the reservation's event in `tx`, the transaction of the change (see src/events/outbox.ts). */
export async function recordReservationEvent(
  tx: TenantDb,
  type: ReservationEventType,
  reservation: ReservationDocument,
): Promise<void> {
  await recordEvent(tx, reservationEvent(type, reservation));
}

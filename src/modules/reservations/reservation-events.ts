import type { TenantDb } from '../../data/tenant-db.js';
import { recordEvent } from '../../events/outbox.js';
import { toGlobalId } from '../global-id.js';
import type { ReservationDocument } from './reservation-document.js';

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

/** Records the reservation's event in `tx`, the transaction of the change (see src/events/outbox.ts). */
export async function recordReservationEvent(
  tx: TenantDb,
  type: 'reservation.created' | 'reservation.cancelled',
  reservation: ReservationDocument,
): Promise<void> {
  await recordEvent(tx, {
    type,
    subject: toGlobalId('Reservation', reservation._id),
    data: reservationData(reservation),
  });
}

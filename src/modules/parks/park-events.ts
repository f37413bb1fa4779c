import type { TenantDb } from '../../data/tenant-db.js';
import { recordEvent, type NewEvent } from '../../events/outbox.js';
import { toGlobalId } from '../global-id.js';
import type { ParkDocument } from './park-document.js';

/** The export events of parks; their `data` shows a `Park`. */
export const PARK_EVENTS = [
  { type: 'park.created', shows: 'Park' },
  { type: 'park.updated', shows: 'Park' },
  { type: 'park.deleted', shows: 'Park' },
] as const;

export type ParkEventType = (typeof PARK_EVENTS)[number]['type'];

/** A park as GraphQL shows it (its scalar fields; `reservations` is a connection, not data). */
const parkData = (park: ParkDocument) => ({
  id: toGlobalId('Park', park._id),
  name: park.name,
  region: park.region,
  capacity: park.capacity,
});

/** The park's export event of a change. */
export function parkEvent(type: ParkEventType, park: ParkDocument): NewEvent {
  const subject = toGlobalId('Park', park._id);
  return { type, subject, data: type === 'park.deleted' ? { id: subject } : parkData(park) };
}

/** Records the park's event in `tx`, the transaction of the change (see src/events/outbox.ts). */
export async function recordParkEvent(tx: TenantDb, type: ParkEventType, park: ParkDocument): Promise<void> {
  await recordEvent(tx, parkEvent(type, park));
}

import type { TenantDb } from '../../data/tenant-db.js';
import { badUserInput, notFound } from '../../errors.js';
import type { CreateParkInput, UpdateParkInput } from '../../generated/graphql.js';
import { findPage, type Connection, type PageArgs } from '../pagination.js';
import type { ReservationDocument } from '../reservations/reservation-document.js';
import type { ParkDocument } from './park-document.js';
import { recordEvents } from '../../events/outbox.js';
import { parkEvent, recordParkEvent } from './park-events.js';
import { parseCreateParkInput, parseUpdateParkInput, type ParkFields } from './park-input.js';

const parks = (db: TenantDb) => db.collection<ParkDocument>('parks');

/** The bound tenant's parks among these raw ids, in no order; another tenant's ids find nothing. */
export function findParksByIds(db: TenantDb, ids: readonly string[]): Promise<ParkDocument[]> {
  return parks(db).findByIds(ids);
}

export function listParks(db: TenantDb, args: PageArgs): Promise<Connection<ParkDocument>> {
  return findPage(parks(db), {}, args);
}

/* Every change below writes its export event in its own transaction (src/events/outbox.ts). */

export async function createPark(db: TenantDb, input: CreateParkInput): Promise<ParkDocument> {
  const fields = parseCreateParkInput(input);
  return db.withTransaction(async (tx) => {
    const now = new Date();
    const park = await parks(tx).insertOne({ ...fields, createdAt: now, updatedAt: now });
    await recordParkEvent(tx, 'park.created', park);
    return park;
  });
}

/**
 * createPark for many parks of fields already validated (parseCreateParkInput), each with its
 * `park.created` event, in the transaction `tx`, in order, in two writes; an `_id` given is kept (an
 * import derives it from its line).
 */
export async function insertParks(
  tx: TenantDb,
  rows: readonly { _id?: string; fields: ParkFields }[],
): Promise<ParkDocument[]> {
  const now = new Date();
  const created = await parks(tx).insertMany(
    rows.map(({ _id, fields }) => ({ ...(_id ? { _id } : {}), ...fields, createdAt: now, updatedAt: now })),
  );
  await recordEvents(
    tx,
    created.map((park) => parkEvent('park.created', park)),
  );
  return created;
}

export async function updatePark(db: TenantDb, id: string, input: UpdateParkInput): Promise<ParkDocument> {
  const changes = parseUpdateParkInput(input);
  return db.withTransaction(async (tx) => {
    const updated = await parks(tx).updateOne({ _id: id }, { $set: { ...changes, updatedAt: new Date() } });
    if (!updated) throw notFound('Park');
    await recordParkEvent(tx, 'park.updated', updated);
    return updated;
  });
}

/**
 * Deletes a park that has no reservations at all and returns it. Cancelled reservations block the
 * delete too: `Reservation.park` is non-null, and there is no event that would tell subscribers a
 * reservation disappeared with its park. The check and the delete share one transaction.
 */
export function deletePark(db: TenantDb, id: string): Promise<ParkDocument> {
  return db.withTransaction(async (tx) => {
    const park = await parks(tx).findById(id);
    if (!park) throw notFound('Park');
    const reservations = await tx.collection<ReservationDocument>('reservations').count({ parkId: park._id });
    if (reservations > 0) throw badUserInput('id', 'park has reservations');
    await parks(tx).deleteOne({ _id: park._id });
    await recordParkEvent(tx, 'park.deleted', park);
    return park;
  });
}

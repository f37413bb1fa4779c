import type { TenantDb } from '../../data/tenant-db.js';
import { notFound } from '../../errors.js';
import type { CreateReservationInput } from '../../generated/graphql.js';
import {
  afterIdFilter,
  findPage,
  toConnection,
  type Connection,
  type PageArgs,
  type PageRequest,
} from '../pagination.js';
import type { ParkDocument } from '../parks/park-document.js';
import type { ReservationDocument } from './reservation-document.js';
import { recordEvents } from '../../events/outbox.js';
import { recordReservationEvent, reservationEvent } from './reservation-events.js';
import { parkNotNamed, parseCreateReservationInput, type ReservationFields } from './reservation-input.js';
import { dateRange } from './stats.js';

const reservations = (db: TenantDb) => db.collection<ReservationDocument>('reservations');

/** The bound tenant's reservations among these raw ids, in no order; another tenant's ids find nothing. */
export function findReservationsByIds(db: TenantDb, ids: readonly string[]): Promise<ReservationDocument[]> {
  return reservations(db).findByIds(ids);
}

/** A page of the tenant's reservations in creation order, only those dated within `from`..`to` when given. */
export function listReservations(
  db: TenantDb,
  { from = null, to = null, ...page }: PageArgs & { from?: string | null; to?: string | null },
): Promise<Connection<ReservationDocument>> {
  return findPage(reservations(db), dateRange(from, to), page);
}

interface ParkPageRow {
  _id: string;
  reservations: ReservationDocument[];
}

/**
 * The same page of reservations for each of many parks, in one aggregation: the first `first + 1`
 * reservations of each park in `_id` order, the extra one telling whether a next page exists. `$topN`
 * (MongoDB ≥ 5.2) keeps at most that many documents per park while grouping, where `$push` followed by
 * `$slice` would hold every reservation of a busy park in memory (and fail past the 16 MB document limit).
 * Parks without reservations (or not of this tenant) are absent from the map.
 */
export async function reservationPagesOfParks(
  db: TenantDb,
  parkIds: readonly string[],
  request: PageRequest,
): Promise<Map<string, Connection<ReservationDocument>>> {
  const rows = await reservations(db).aggregate<ParkPageRow>([
    { $match: { parkId: { $in: [...parkIds] }, ...afterIdFilter(request.afterId) } },
    {
      $group: {
        _id: '$parkId',
        reservations: { $topN: { n: request.first + 1, sortBy: { _id: 1 }, output: '$$ROOT' } },
      },
    },
  ]);
  return new Map(rows.map((row) => [row._id, toConnection(row.reservations, request.first)]));
}

/**
 * A new CONFIRMED reservation. The park must be one of the bound tenant's: a park of another tenant
 * gets the same BAD_USER_INPUT as a park that does not exist, so the error reveals nothing.
 */
export async function createReservation(db: TenantDb, input: CreateReservationInput): Promise<ReservationDocument> {
  const fields = parseCreateReservationInput(input);
  return db.withTransaction(async (tx) => {
    const park = await tx.collection<ParkDocument>('parks').findById(fields.parkId);
    if (!park) throw parkNotNamed();
    const now = new Date();
    const reservation = await reservations(tx).insertOne({
      ...fields,
      status: 'CONFIRMED',
      createdAt: now,
      updatedAt: now,
    });
    await recordReservationEvent(tx, 'reservation.created', reservation);
    return reservation;
  });
}

/** Of these raw park ids, those that name a park of the bound tenant. */
export async function existingParkIds(db: TenantDb, parkIds: readonly string[]): Promise<Set<string>> {
  const found = await db.collection<ParkDocument>('parks').findByIds([...new Set(parkIds)]);
  return new Set(found.map((park) => park._id));
}

/**
 * createReservation for many reservations of fields already validated, whose parks the caller checked
 * exist (in `tx`), each with its `reservation.created` event, in order, in two writes; an `_id` given
 * is kept.
 */
export async function insertReservations(
  tx: TenantDb,
  rows: readonly { _id?: string; fields: ReservationFields }[],
): Promise<ReservationDocument[]> {
  const now = new Date();
  const created = await reservations(tx).insertMany(
    rows.map(({ _id, fields }) => ({
      ...(_id ? { _id } : {}),
      ...fields,
      status: 'CONFIRMED' as const,
      createdAt: now,
      updatedAt: now,
    })),
  );
  await recordEvents(
    tx,
    created.map((reservation) => reservationEvent('reservation.created', reservation)),
  );
  return created;
}

/**
 * Cancels a reservation and returns it. Idempotent: cancelling a cancelled reservation changes
 * nothing, emits no event and returns it as it is, so a client may safely retry. The status
 * condition in the filter makes the change (and its one event) happen at most once however many
 * requests race.
 */
export async function cancelReservation(db: TenantDb, id: string): Promise<ReservationDocument> {
  return db.withTransaction(async (tx) => {
    const cancelled = await reservations(tx).updateOne(
      { _id: id, status: 'CONFIRMED' },
      { $set: { status: 'CANCELLED', updatedAt: new Date() } },
    );
    if (cancelled) {
      await recordReservationEvent(tx, 'reservation.cancelled', cancelled);
      return cancelled;
    }
    const existing = await reservations(tx).findById(id);
    if (!existing) throw notFound('Reservation');
    return existing;
  });
}

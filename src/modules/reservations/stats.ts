import type { Filter } from '../../data/documents.js';
import type { TenantDb } from '../../data/tenant-db.js';
import { badUserInput } from '../../errors.js';
import type { ReservationStat, ReservationStatsGroupBy } from '../../generated/graphql.js';
import { toGlobalId } from '../global-id.js';
import { isCalendarDate } from '../core/scalars.js';
import type { ReservationDocument } from './reservation-document.js';

/** The group key of each grouping; a month is the `YYYY-MM` prefix of the stored date string. */
const GROUP_KEYS: Record<ReservationStatsGroupBy, unknown> = {
  PARK: '$parkId',
  MONTH: { $substrCP: ['$date', 0, 7] },
};

interface GroupRow {
  _id: string;
  reservations: number;
  visitors: number;
}

/**
 * The filter of reservations dated within `from` and `to` (both inclusive, either optional). Stored dates
 * are `YYYY-MM-DD` strings, so string order is date order and the range is a string range.
 */
export function dateRange(from: string | null, to: string | null): Filter {
  if (from !== null && !isCalendarDate(from)) throw badUserInput('from', 'must be a calendar date YYYY-MM-DD');
  if (to !== null && !isCalendarDate(to)) throw badUserInput('to', 'must be a calendar date YYYY-MM-DD');
  if (from !== null && to !== null && from > to) throw badUserInput('from', 'must not be after to');
  const date = { ...(from !== null && { $gte: from }), ...(to !== null && { $lte: to }) };
  return Object.keys(date).length === 0 ? {} : { date };
}

const byKey = (a: ReservationStat, b: ReservationStat) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Confirmed reservations and their visitors per park or per month, `from` and `to` inclusive, in one
 * aggregation. Sorted by the key the client sees: a park's global id is only known after the
 * database has grouped, so the sort happens here rather than in the pipeline.
 */
export async function reservationStats(
  db: TenantDb,
  groupBy: ReservationStatsGroupBy,
  from: string | null,
  to: string | null,
): Promise<ReservationStat[]> {
  const rows = await db
    .collection<ReservationDocument>('reservations')
    .aggregate<GroupRow>([
      { $match: { status: 'CONFIRMED', ...dateRange(from, to) } },
      { $group: { _id: GROUP_KEYS[groupBy], reservations: { $sum: 1 }, visitors: { $sum: '$partySize' } } },
    ]);
  return rows
    .map((row) => ({
      key: groupBy === 'PARK' ? toGlobalId('Park', row._id) : row._id,
      reservations: row.reservations,
      visitors: row.visitors,
    }))
    .sort(byKey);
}

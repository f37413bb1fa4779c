import DataLoader from 'dataloader';
import type { TenantDb } from '../data/tenant-db.js';
import { forbidden } from '../errors.js';
import { toConnection, type Connection, type PageRequest } from './pagination.js';
import type { ParkDocument } from './parks/park-document.js';
import { findParksByIds } from './parks/park-repository.js';
import type { ReservationDocument } from './reservations/reservation-document.js';
import { findReservationsByIds, reservationPagesOfParks } from './reservations/reservation-repository.js';

/** One page of one park's reservations; `first` and `afterId` come from `parsePageArgs`. */
export interface ReservationsPageKey extends PageRequest {
  parkId: string;
}

/**
 * The batching loaders of one request, keyed by raw ids within the request's tenant.
 *
 * They are created with each request's context and never shared between requests: their cache holds
 * documents read for one caller in one tenant, so a shared loader would hand one tenant's data (or data
 * read before a write) to another caller, and a shared batch would mix keys of different tenants in
 * a query bound to one of them.
 */
export interface Loaders {
  parkById: DataLoader<string, ParkDocument | null>;
  reservationById: DataLoader<string, ReservationDocument | null>;
  reservationsByPark: DataLoader<ReservationsPageKey, Connection<ReservationDocument>, string>;
}

/** One query per tick for every id asked for; missing (or another tenant's) ids load as null. */
function byIdLoader<TDoc extends { _id: string }>(
  find: (ids: readonly string[]) => Promise<TDoc[]>,
): DataLoader<string, TDoc | null> {
  return new DataLoader(async (ids) => {
    const found = new Map((await find(ids)).map((doc) => [doc._id, doc]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

const pageShape = ({ first, afterId }: PageRequest) => `${first}:${afterId ?? ''}`;
const pageKey = (key: ReservationsPageKey) => `${key.parkId}:${pageShape(key)}`;

/**
 * One aggregation per page shape for all the parks asking in a tick. Normally there is one shape
 * (every park of a list asks with the same `first` and `after`), so a level of N parks costs one
 * database round trip, not N.
 */
function reservationsByParkLoader(db: TenantDb): Loaders['reservationsByPark'] {
  return new DataLoader(
    async (keys) => {
      const shapes = new Map<string, { request: PageRequest; parkIds: string[] }>();
      for (const key of keys) {
        const shape = shapes.get(pageShape(key)) ?? { request: key, parkIds: [] };
        shape.parkIds.push(key.parkId);
        shapes.set(pageShape(key), shape);
      }
      const pagesByShape = new Map(
        await Promise.all(
          [...shapes].map(
            async ([shape, { request, parkIds }]) =>
              [shape, await reservationPagesOfParks(db, parkIds, request)] as const,
          ),
        ),
      );
      return keys.map((key) => pagesByShape.get(pageShape(key))?.get(key.parkId) ?? toConnection([], key.first));
    },
    { cacheKeyFn: pageKey },
  );
}

/** A loader for a caller without an active tenant: every load is refused, nothing is queried. */
function refusingLoader<K, V, C = K>(): DataLoader<K, V, C> {
  return new DataLoader<K, V, C>(() => Promise.reject(forbidden('No active tenant')), { cache: false });
}

export function createLoaders(db: TenantDb | null): Loaders {
  if (db === null) {
    return { parkById: refusingLoader(), reservationById: refusingLoader(), reservationsByPark: refusingLoader() };
  }
  return {
    parkById: byIdLoader((ids) => findParksByIds(db, ids)),
    reservationById: byIdLoader((ids) => findReservationsByIds(db, ids)),
    reservationsByPark: reservationsByParkLoader(db),
  };
}

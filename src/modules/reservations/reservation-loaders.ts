import DataLoader from 'dataloader';
import type { TenantDb } from '../../data/tenant-db.js';
import { byIdLoader } from '../loaders.js';
import { toConnection, type Connection, type PageRequest } from '../pagination.js';
import type { ReservationDocument } from './reservation-document.js';
import { findReservationsByIds, reservationPagesOfParks } from './reservation-repository.js';

/** One page of one park's reservations; `first` and `afterId` come from `parsePageArgs`. */
export interface ReservationsPageKey extends PageRequest {
  parkId: string;
}

const pageShape = ({ first, afterId }: PageRequest) => `${first}:${afterId ?? ''}`;
const pageKey = (key: ReservationsPageKey) => `${key.parkId}:${pageShape(key)}`;

/**
 * One aggregation per page shape for all the parks asking in a tick. Normally there is one shape
 * (every park of a list asks with the same `first` and `after`), so a level of N parks costs one
 * database round trip, not N.
 */
function reservationsByParkLoader(
  db: TenantDb,
): DataLoader<ReservationsPageKey, Connection<ReservationDocument>, string> {
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

/** The reservations module's loaders over the request's tenant data. */
export const reservationLoaders = (db: TenantDb) => ({
  reservationById: byIdLoader((ids) => findReservationsByIds(db, ids)),
  reservationsByPark: reservationsByParkLoader(db),
});

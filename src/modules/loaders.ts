import DataLoader from 'dataloader';
import type { TenantDb } from '../data/tenant-db.js';
import { forbidden } from '../errors.js';
import type { MODULES } from './registry.js';

type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void
  ? I
  : never;

type ModuleLoaders<M> = M extends { loaders?: (db: TenantDb) => infer L } ? L : never;

/**
 * The batching loaders of one request: every module's (its `loaders`, see module.ts), keyed by raw ids
 * within the request's tenant.
 *
 * They are created with each request's context and never shared between requests: their cache holds
 * documents read for one caller in one tenant, so a shared loader would hand one tenant's data (or data
 * read before a write) to another caller, and a shared batch would mix keys of different tenants in
 * a query bound to one of them.
 */
export type Loaders = UnionToIntersection<ModuleLoaders<(typeof MODULES)[number]>>;

/** One query per tick for every id asked for; missing (or another tenant's) ids load as null. */
export function byIdLoader<TDoc extends { _id: string }>(
  find: (ids: readonly string[]) => Promise<TDoc[]>,
): DataLoader<string, TDoc | null> {
  return new DataLoader(async (ids) => {
    const found = new Map((await find(ids)).map((doc) => [doc._id, doc]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/**
 * The data a caller without an active tenant gets for its loaders: every use is refused with
 * FORBIDDEN, so each load rejects and nothing is queried.
 */
const NO_TENANT: TenantDb = {
  get tenantId(): string {
    throw forbidden('No active tenant');
  },
  inTransaction: false,
  collection() {
    throw forbidden('No active tenant');
  },
  withTransaction: () => Promise.reject(forbidden('No active tenant')),
  withSharedTransaction: () => Promise.reject(forbidden('No active tenant')),
  sessionId: null,
  endSession: () => Promise.reject(forbidden('No active tenant')),
};

/** The loaders of every module for one request, over `db` (null: no active tenant, every load refused). */
export function createLoaders(factories: Iterable<(db: TenantDb) => object>, db: TenantDb | null): Loaders {
  const loaders = {};
  for (const factory of factories) Object.assign(loaders, factory(db ?? NO_TENANT));
  return loaders as Loaders;
}

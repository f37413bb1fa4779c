/**
 * Where a tenant's data lives (its placement): the shared database, a database of its own on the
 * default cluster, or a database on another cluster named by `MONGODB_URI_<NAME>`. The registry of
 * placements is platform data (`tenantPlacements`, one document per tenant that ever moved); a tenant
 * without one is in the shared database. The URI of a cluster is never stored: only its name.
 */
export interface Placement {
  /** A cluster named by `MONGODB_URI_<NAME>`; null: the default cluster (MONGODB_URI). */
  cluster: string | null;
  /** A database of that cluster; null: the database named by MONGODB_DB. */
  database: string | null;
}

export const SHARED_PLACEMENT: Placement = { cluster: null, database: null };

/** The platform collection of the registry; its `_id` is the tenant id. */
export const PLACEMENTS_COLLECTION = 'tenantPlacements';

/** `<NAME>` of `MONGODB_URI_<NAME>`. */
export const CLUSTER_NAME = /^[A-Z][A-Z0-9_]{0,31}$/;
/** A database name MongoDB accepts everywhere, kept short and plain. */
export const DATABASE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,47}$/;

/**
 * A tenant's entry in the registry. `version` grows with every change, so that every instance can
 * say which one it has applied. While `state` is `paused`, the tenant's writes wait (on every
 * instance) for its move to `moveTo` to switch; reads go on from `placement`.
 */
export interface PlacementRecord {
  _id: string;
  tenantId: string;
  placement: Placement;
  version: number;
  state: 'serving' | 'paused';
  /**
   * While a move is under way (until its leftovers are removed): where from and to, which move (one
   * at a time), since when, and until when its mover's lease runs. The mover renews the lease every
   * third of its length; once it lapsed, any instance takes the move over and completes it (when it
   * had switched) or rolls it back (placement-move.ts). `moveFrom` is absent from moves claimed by
   * earlier versions, which left the old copy to the operator.
   */
  moveTo?: Placement;
  moveFrom?: Placement;
  moveId?: string;
  movingSince?: Date;
  leaseExpiresAt?: Date;
  updatedAt: Date;
}

/** One database of one cluster: what a placement resolves to (`cluster` null: the default one). */
export interface Target {
  cluster: string | null;
  dbName: string;
}

export const targetKey = (target: Target): string => `${target.cluster ?? ''}/${target.dbName}`;

export const sameTarget = (a: Target, b: Target): boolean => targetKey(a) === targetKey(b);

export function placementTarget(placement: Placement, defaultDbName: string): Target {
  return { cluster: placement.cluster, dbName: placement.database ?? defaultDbName };
}

/** A placement as operators read it: `shared`, `database tg_acme`, `cluster EU database tenantgraph`. */
export function describePlacement(placement: Placement): string {
  if (placement.cluster === null) return placement.database === null ? 'shared' : `database ${placement.database}`;
  return `cluster ${placement.cluster}${placement.database === null ? '' : ` database ${placement.database}`}`;
}

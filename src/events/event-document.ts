import type { ExportEventType } from './event-types.js';

/**
 * An export event as stored in the `events` collection (the transactional outbox), written in the
 * transaction of the change it reports. `position` is the tenant's commit order, 1, 2, 3…, unique
 * per tenant (index `{ tenantId, position }`); `time` drives retention (a TTL index).
 */
export interface EventDocument {
  _id: string;
  tenantId: string;
  position: number;
  type: ExportEventType;
  /** The global GraphQL id of the object that changed. */
  subject: string;
  time: Date;
  /** The object after the change, as GraphQL shows it (global ids); `{ id }` for a deletion. */
  data: Record<string, unknown>;
}

/** The tenant's one counter document in `eventCounters`: its `_id` is the tenant id. */
export interface EventCounterDocument {
  _id: string;
  tenantId: string;
  /** The position of the tenant's latest committed event (0 or absent: none yet). */
  position: number;
}

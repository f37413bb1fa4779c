import type { Logger } from 'pino';
import { holds } from '../authz/abilities.js';
import type { Role } from '../authz/roles.js';
import type { TenantDb } from '../data/tenant-db.js';
import { badUserInput } from '../errors.js';
import type { SubscriptionExportEventsArgs } from '../generated/graphql.js';
import { toExportEvent, type ExportEventPayload } from './cloud-event.js';
import { decodeCursor } from './cursor.js';
import type { EventDocument } from './event-document.js';
import type { EventCatalog } from './event-types.js';
import { ExportStream } from './export-stream.js';
import type { ExportFeed } from './feed.js';
import { publishedPosition } from './outbox.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The `types` argument: omitted or null means every type. An empty list is refused rather than read
 * as "every type" or "none" (either reading would surprise someone), and so is an unknown type, so
 * that a misspelt filter fails loudly instead of silently delivering nothing.
 */
export function parseTypes(
  types: readonly string[] | null | undefined,
  catalog: EventCatalog,
): ReadonlySet<string> | null {
  if (types === null || types === undefined) return null;
  if (types.length === 0) throw badUserInput('types', 'must name at least one event type, or be omitted for all');
  const unknown = types.find((type) => !catalog.has(type));
  if (unknown !== undefined) {
    throw badUserInput('types', `holds an unknown event type; the types are ${catalog.types.join(', ')}`);
  }
  return new Set(types);
}

const notACursor = () => badUserInput('after', 'is not the cursor of an event of this tenant');

/**
 * The position a cursor names, once it is known to be a cursor of the subscriber's tenant whose event
 * is still kept. Malformed, another tenant's and never-issued cursors get one and the same answer,
 * so a cursor reveals nothing. An event that was issued (its position is not past the tenant's
 * latest) but is gone, or is past retention, was expired: the events right after it may be gone
 * too, so resuming there could silently skip some.
 */
export async function resolveCursor(
  db: TenantDb,
  after: string,
  retentionDays: number,
  now = new Date(),
): Promise<number> {
  const cursor = decodeCursor(after);
  if (cursor === null || cursor.tenantId !== db.tenantId) throw notACursor();
  const [latest, event] = await Promise.all([
    publishedPosition(db),
    db.collection<EventDocument>('events').findOne({ position: cursor.position }),
  ]);
  if (cursor.position > latest) throw notACursor();
  if (event === null || event.time.getTime() < now.getTime() - retentionDays * DAY_MS) {
    throw badUserInput(
      'after',
      `is older than the retention period of export events (${retentionDays} days): subscribe again without \`after\``,
    );
  }
  return cursor.position;
}

/** What an exportEvents stream of one tenant is opened with; built with the request context. */
export interface ExportEventsScope {
  /** The subscriber's tenant: its data and its slug. */
  db: TenantDb;
  tenantSlug: string;
  roles: ReadonlySet<Role>;
  feed: ExportFeed;
  catalog: EventCatalog;
  retentionDays: number;
  bufferLimit: number;
  logger: Logger;
}

/** The export events of the request's tenant, as the `exportEvents` field opens them. */
export interface TenantExportEvents {
  subscribe(args: SubscriptionExportEventsArgs): Promise<AsyncIterable<{ exportEvents: ExportEventPayload }>>;
}

/**
 * `Subscription.exportEvents` of one tenant. Only `subscribe` is defined, never `resolve`:
 * graphql-middleware wraps `subscribe` in the shield rule only when the field has no `resolve` of its
 * own (graphql-middleware #569, graphql-shield #27), so the permission check runs around this
 * function, before any of its code (and so before any database read). Each event's fields are then
 * checked again by the `ExportEvent` rules.
 */
export function tenantExportEvents(scope: ExportEventsScope): TenantExportEvents {
  return {
    async subscribe(args) {
      const { db, catalog } = scope;
      const types = parseTypes(args.types, catalog);
      const after =
        args.after === null || args.after === undefined
          ? null
          : await resolveCursor(db, args.after, scope.retentionDays);
      const delivery = {
        tenantSlug: scope.tenantSlug,
        includePii: holds(scope.roles, 'readPii'),
        piiFields: (type: string) => catalog.piiFields(type),
      };
      return ExportStream.open({
        db,
        feed: scope.feed,
        after,
        types,
        bufferLimit: scope.bufferLimit,
        toPayload: (event) => ({ exportEvents: toExportEvent(event, delivery) }),
        logger: scope.logger,
      });
    },
  };
}

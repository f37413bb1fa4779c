import { allOf, can } from '../../authz/rules.js';
import { defineModule } from '../module.js';
import { exportEventResolvers } from './resolvers.js';

/**
 * `exportEvents`: the committed changes of the active tenant as CloudEvents (src/events/). The event
 * types themselves are declared by the modules that write them.
 */
export const exportEventsModule = defineModule({
  name: 'export-events',
  typeDefs: ['events.graphql'],
  resolvers: exportEventResolvers,
  collections: [
    {
      name: 'events',
      owner: 'tenant',
      indexes: [
        // The tenant's commit order of export events: one position per event.
        { key: { tenantId: 1, position: 1 }, unique: true },
        // Retention of export events: the server's TTL monitor removes them (a cursor older is refused).
        { key: { time: 1 }, expireAfter: 'eventRetention' },
      ],
    },
    // Export events staged by their change's transaction, until the sequencer publishes them into
    // events (docs/events.md); a tenant's are counted where a subscription starts.
    { name: 'eventOutbox', owner: 'tenant', indexes: [{ key: { tenantId: 1, _id: 1 } }] },
    // One document per tenant (its _id is the tenant id) holding the last published position.
    { name: 'eventCounters', owner: 'tenant', indexes: [{ key: { tenantId: 1, _id: 1 } }] },
  ],
  permissions: {
    // The rule guards `subscribe` (the field has no `resolve`, see src/events/subscription.ts), so it
    // runs once when the subscription starts, before anything is read; the event's fields ask for
    // the same ability, so they need no check of their own (src/authz/guard-plan.ts).
    Subscription: { exportEvents: can('exportEvents') },
    ExportEvent: allOf(
      can('exportEvents'),
      'id',
      'specversion',
      'type',
      'source',
      'subject',
      'time',
      'datacontenttype',
      'data',
      'tenant',
      'cursor',
    ),
  },
});

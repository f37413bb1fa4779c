import { encodeCursor } from './cursor.js';
import type { EventDocument } from './event-document.js';

/** What `ExportEvent` resolves from: a CloudEvents 1.0 event in the JSON format, plus tenant and cursor. */
export interface ExportEventPayload {
  id: string;
  specversion: '1.0';
  type: string;
  source: string;
  subject: string | null;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
  tenant: string;
  cursor: string;
}

/**
 * The CloudEvents `source` of a tenant's events: a URN naming this service and the tenant. `id` is
 * unique within it (the event's stored id), which is what CloudEvents asks of the pair.
 */
export const eventSource = (tenantSlug: string): string => `urn:tenantgraph:tenant:${tenantSlug}`;

export interface DeliveryOptions {
  tenantSlug: string;
  /**
   * Whether the subscriber may read personal data (CONTRACT.md section 3: EDITOR or ADMIN). When not
   * (an INTEGRATOR only), the event's PII fields are left out of `data` altogether, as
   * `Reservation.visitorEmail` is refused to such a caller over GraphQL.
   */
  includePii: boolean;
  /** The personal-data fields of an event type's `data` (EventCatalog.piiFields). */
  piiFields: (type: string) => readonly string[];
}

function withoutPii(event: EventDocument, piiFields: DeliveryOptions['piiFields']): Record<string, unknown> {
  const fields = piiFields(event.type);
  if (fields.length === 0) return event.data;
  return Object.fromEntries(Object.entries(event.data).filter(([key]) => !fields.includes(key)));
}

/** The event as one subscriber receives it. */
export function toExportEvent(event: EventDocument, options: DeliveryOptions): ExportEventPayload {
  return {
    id: event._id,
    specversion: '1.0',
    type: event.type,
    source: eventSource(options.tenantSlug),
    subject: event.subject,
    time: event.time.toISOString(),
    datacontenttype: 'application/json',
    data: options.includePii ? event.data : withoutPii(event, options.piiFields),
    tenant: options.tenantSlug,
    cursor: encodeCursor({ tenantId: event.tenantId, position: event.position }),
  };
}

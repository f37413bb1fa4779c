/** The export event types of CONTRACT.md section 6: `<entity>.<what happened>`, one per committed change. */
export const EXPORT_EVENT_TYPES = [
  'park.created',
  'park.updated',
  'park.deleted',
  'reservation.created',
  'reservation.cancelled',
] as const;

export type ExportEventType = (typeof EXPORT_EVENT_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set(EXPORT_EVENT_TYPES);

export function isExportEventType(value: unknown): value is ExportEventType {
  return typeof value === 'string' && KNOWN.has(value);
}

/**
 * The fields of an event's `data` that hold personal data, by type: what the schema tags `pii`
 * (`Reservation.visitorEmail`). They are stored with the event and left out of the data delivered to
 * a subscriber who may not read them (see cloud-event.ts). Deciding at delivery rather than at write
 * time means a field classified later is withheld from old events too.
 */
export const PII_FIELDS: Readonly<Record<ExportEventType, readonly string[]>> = {
  'park.created': [],
  'park.updated': [],
  'park.deleted': [],
  'reservation.created': ['visitorEmail'],
  'reservation.cancelled': ['visitorEmail'],
};

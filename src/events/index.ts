export { EXPORT_EVENT_TYPES, type ExportEventType } from './event-types.js';
export type { EventDocument } from './event-document.js';
export { recordEvent, type NewEvent } from './outbox.js';
export { ExportFeed } from './feed.js';
export { eventResolvers } from './resolvers.js';

import { isId } from '../data/ids.js';

/** Where a subscriber is in its tenant's events: the tenant and the position of the last event seen. */
export interface EventCursor {
  tenantId: string;
  position: number;
}

/** No cursor we issue comes near this; longer input is refused before decoding. */
const MAX_CURSOR_LENGTH = 128;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The opaque cursor of an event: base64url of `{"t":tenantId,"p":position}`. It is not signed: it
 * grants nothing, since the server accepts only a cursor of the subscriber's own tenant, whose
 * position exists, and reads the events after it through the subscriber's tenant-bound data layer.
 */
export function encodeCursor(cursor: EventCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.tenantId, p: cursor.position }), 'utf8').toString('base64url');
}

/** The cursor, or null for anything that is not exactly one this server issues. */
export function decodeCursor(value: unknown): EventCursor | null {
  if (typeof value !== 'string' || value.length > MAX_CURSOR_LENGTH || !BASE64URL.test(value)) return null;
  const text = Buffer.from(value, 'base64url').toString('utf8');
  // Node's decoder skips bad input silently; re-encoding accepts only the spelling we issue.
  if (Buffer.from(text, 'utf8').toString('base64url') !== value) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const { t, p, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || !isId(t)) return null;
  if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 1) return null;
  return { tenantId: t, position: p };
}

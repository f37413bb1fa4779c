import { notFound } from '../errors.js';
import type { MODULES } from './registry.js';

type ModuleIdTypes<M> = M extends { globalIdTypes?: readonly (infer T)[] } ? T : never;

/** The object types whose ids leave the server as opaque global ids: every module's `globalIdTypes`. */
export type GlobalIdType = ModuleIdTypes<(typeof MODULES)[number]>;

/** Longer inputs are refused before decoding: no stored id comes near this, and decoding costs memory. */
const MAX_GLOBAL_ID_LENGTH = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The opaque id a client sees: base64url of `Type:rawId`. */
export function toGlobalId(type: GlobalIdType, rawId: string): string {
  return Buffer.from(`${type}:${rawId}`, 'utf8').toString('base64url');
}

/**
 * The raw id inside a global id of the given type, or null when `id` is not a string, is not
 * canonical base64url, names another type or carries an empty raw id. Callers treat null exactly
 * like an id that names nothing, so garbage, another type's id and another tenant's id all look
 * the same from outside.
 */
export function fromGlobalId(type: GlobalIdType, id: unknown): string | null {
  if (typeof id !== 'string' || id.length > MAX_GLOBAL_ID_LENGTH || !BASE64URL.test(id)) return null;
  const decoded = Buffer.from(id, 'base64url').toString('utf8');
  // Node's decoder skips bad input silently; re-encoding rejects everything but the one spelling we issue.
  if (Buffer.from(decoded, 'utf8').toString('base64url') !== id) return null;
  const prefix = `${type}:`;
  if (!decoded.startsWith(prefix) || decoded.length === prefix.length) return null;
  return decoded.slice(prefix.length);
}

/** The raw id a mutation argument names; an id that cannot name such an object is NOT_FOUND, like a missing one. */
export function requireRawId(type: GlobalIdType, id: unknown, what: string = type): string {
  const rawId = fromGlobalId(type, id);
  if (rawId === null) throw notFound(what);
  return rawId;
}

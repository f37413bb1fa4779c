import { deserialize, serialize } from 'bson';
import type { Document } from 'bson';
import { isPlainObject } from './kinds.js';

/**
 * `promoteValues: false` keeps Int32, Double, Long and Decimal128 as wrappers so that no numeric
 * type is lost on the way in; {@link normalizeValue} then unwraps the ones a plain JS number
 * serializes back to exactly.
 */
const DECODE_OPTIONS = { promoteValues: false, promoteBuffers: false } as const;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Decodes BSON into the stored ("typed") form: plain numbers wherever they re-encode to the same BSON type. */
export function decodeDocument(bytes: Uint8Array): Document {
  return normalizeValue(deserialize(bytes, DECODE_OPTIONS)) as Document;
}

/** The bytes documents of a command's document sequences were decoded from, until a write takes them. */
const receivedBytes = new WeakMap<Document, Uint8Array>();

/** Decodes a document a client sent, remembering its bytes for {@link takeReceivedBytes}. */
export function decodeReceivedDocument(bytes: Uint8Array): Document {
  const document = decodeDocument(bytes);
  receivedBytes.set(document, bytes);
  return document;
}

/**
 * The bytes a document arrived as (undefined when it was not received as such): a write journals
 * them instead of encoding the document again. Taken once, so that no stored document keeps the
 * request's buffer alive.
 */
export function takeReceivedBytes(document: Document): Uint8Array | undefined {
  const bytes = receivedBytes.get(document);
  receivedBytes.delete(document);
  return bytes;
}

export function encodeDocument(document: Document): Uint8Array {
  return serialize(document);
}

/** True when the JS number would be encoded as a BSON int32 (bson's rule for plain numbers). */
export function encodesAsInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0);
}

function normalizeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = normalizeValue(value[i]);
    return value;
  }
  if (!isPlainObject(value)) return unwrapNumber(value);
  for (const key of Object.keys(value)) value[key] = normalizeValue(value[key]);
  return value;
}

function unwrapNumber(value: object): unknown {
  const wrapper = value as { _bsontype?: string; value?: number };
  if (wrapper._bsontype === 'Int32') return wrapper.value;
  // A Double holding an int32-range integer must stay wrapped, or it would come back as an Int32.
  if (wrapper._bsontype === 'Double' && !encodesAsInt32(wrapper.value as number)) return wrapper.value;
  return value;
}

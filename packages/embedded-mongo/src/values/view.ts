import { Decimal128, Double, Long } from 'bson';
import type { Document } from 'bson';
import { encodesAsInt32 } from './codec.js';
import { bsonType, isPlainObject } from './kinds.js';

/**
 * mingo only does arithmetic and ordering on JS numbers, so queries, updates and pipelines run on a
 * "view" of each document in which Long, Decimal128 and Double wrappers are plain numbers. A view
 * object that differs from its stored twin carries the twin under this symbol: object spread
 * (which mingo uses, e.g. in $lookup) copies it and Object.keys ignores it, so results can be
 * mapped back to the exact stored types afterwards.
 */
const TYPED = Symbol('embedded-mongo.typed');

type Tagged = { [TYPED]?: unknown };

/** The numeric value of a number or BSON numeric wrapper, undefined for anything else. */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  switch (bsonType(value)) {
    case 'Double':
    case 'Int32':
      return (value as Double).value;
    case 'Long':
      return (value as Long).toNumber();
    case 'Decimal128':
      return Number.parseFloat((value as Decimal128).toString());
    default:
      return undefined;
  }
}

function isNumericWrapper(value: unknown): boolean {
  const type = bsonType(value);
  return type === 'Double' || type === 'Int32' || type === 'Long' || type === 'Decimal128';
}

/** The mingo-facing view of a stored value; the same object when nothing needs converting. */
export function toView<T>(value: T): T {
  return convert(value) as T;
}

function convert(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isNumericWrapper(value)) return numericValue(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const converted = convert(item);
      if (converted === item) continue;
      copy ??= tag(value.slice(), value);
      copy[i] = converted;
    }
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Document | undefined;
  for (const key of Object.keys(value)) {
    const item: unknown = value[key];
    const converted = convert(item);
    if (converted === item) continue;
    copy ??= tag({ ...value }, value);
    copy[key] = converted;
  }
  return copy ?? value;
}

function tag<T extends object>(view: T, typed: object): T {
  (view as Tagged)[TYPED] = typed;
  return view;
}

/** Maps a value computed from views (query/pipeline output) back to stored types where it still holds stored values. */
export function restoreTypes<T>(value: T): T {
  return restore(value, undefined, false) as T;
}

/**
 * Maps an updated view back to stored types, using the document before the update as the hint:
 * unchanged numbers get their exact original back, changed ones keep the original numeric type
 * (as $inc on a Long yields a Long in MongoDB).
 */
export function restoreUpdatedTypes(updated: Document, before: Document): Document {
  return restore(updated, before, true) as Document;
}

function restore(value: unknown, hint: unknown, sticky: boolean): unknown {
  if (typeof value === 'number') return restoreNumber(value, hint, sticky);
  if (Array.isArray(value)) {
    const twin = (value as Tagged)[TYPED] ?? hint;
    const hints = Array.isArray(twin) ? twin : undefined;
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const restored = restore(item, hints?.[i], sticky);
      if (restored === item) continue;
      copy ??= value.slice();
      copy[i] = restored;
    }
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  const twin = (value as Tagged)[TYPED] ?? hint;
  const hints = isPlainObject(twin) ? twin : undefined;
  let copy: Document | undefined;
  for (const key of Object.keys(value)) {
    const item: unknown = value[key];
    const restored = restore(item, hints?.[key], sticky);
    if (restored === item) continue;
    copy ??= { ...value };
    copy[key] = restored;
  }
  return copy ?? value;
}

function restoreNumber(value: number, hint: unknown, sticky: boolean): unknown {
  const original = numericValue(hint);
  if (original === undefined || typeof hint === 'number') return value;
  if (Object.is(original, value)) return hint;
  if (!sticky) return value;
  switch (bsonType(hint)) {
    case 'Long':
      return Number.isInteger(value) ? Long.fromNumber(value) : value;
    case 'Decimal128':
      return Number.isFinite(value) ? Decimal128.fromString(String(value)) : value;
    case 'Double':
      return encodesAsInt32(value) ? new Double(value) : value;
    default:
      return value;
  }
}

/**
 * A deep copy of a view, keeping the stored twins attached. Some mingo stages ($addFields and
 * $unset on dotted paths, for one) modify nested documents in place, and views of documents
 * without numeric wrappers are the stored documents themselves.
 */
export function copyView<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  let copy: object;
  if (Array.isArray(value)) copy = value.map((item: unknown) => copyView(item));
  else if (isPlainObject(value))
    copy = Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyView(item)]));
  else return value;
  const twin = (value as Tagged)[TYPED];
  return (twin === undefined ? copy : tag(copy, twin as object)) as T;
}

/** A deep copy of the plain objects and arrays of a document (BSON values are immutable and shared). */
export function cloneDocument<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => cloneDocument(item)) as T;
  if (!isPlainObject(value)) return value;
  const copy: Document = {};
  for (const key of Object.keys(value)) copy[key] = cloneDocument(value[key]);
  return copy as T;
}

/** The stored document a view was made from (the view itself when nothing needed converting). */
export function storedTwin(view: unknown): unknown {
  return (view as Tagged | null)?.[TYPED] ?? view;
}

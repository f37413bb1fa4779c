import type { Document } from 'bson';
import { isPlainObject } from './kinds.js';

/**
 * The values a dotted path reaches in a document, descending into arrays the way MongoDB's multikey
 * indexes and `distinct` do: array elements are reached both by position and by field, and an
 * array at the end of the path contributes each of its elements.
 */
export function pathValues(document: unknown, path: string): unknown[] {
  const found: unknown[] = [];
  collect(document, path.split('.'), 0, found);
  return found;
}

function collect(value: unknown, parts: string[], depth: number, found: unknown[]): void {
  if (depth === parts.length) {
    if (Array.isArray(value)) found.push(...(value as unknown[]));
    else if (value !== undefined) found.push(value);
    return;
  }
  const part = parts[depth] as string;
  if (Array.isArray(value)) {
    if (/^\d+$/.test(part)) collect(value[Number(part)], parts, depth + 1, found);
    for (const element of value as unknown[]) {
      if (isPlainObject(element)) collect(element, parts, depth, found);
    }
    return;
  }
  if (isPlainObject(value)) collect(value[part], parts, depth + 1, found);
}

/** Sets a dotted path, creating the intermediate sub-documents (used to seed upserted documents). */
export function setPath(document: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let target = document;
  for (const part of parts.slice(0, -1)) {
    const next: unknown = target[part];
    if (!isPlainObject(next)) target[part] = {};
    target = target[part] as Document;
  }
  target[parts[parts.length - 1] as string] = value;
}

import { ObjectId } from 'mongodb';

const ID_PATTERN = /^[0-9a-f]{24}$/;

/**
 * A new document id: the hex form of an ObjectId, so ids sort by creation time while staying plain
 * strings that carry no driver type out of this folder.
 */
export function newId(): string {
  return new ObjectId().toHexString();
}

/** True for a well-formed id; anything else (another type, an operator object) can name no document. */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

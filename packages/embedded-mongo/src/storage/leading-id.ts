import { ObjectId } from 'bson';
import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';

/** An inserted document with its `_id` first, generated when missing, as the server stores it. */
export function withLeadingId(document: Document): Document {
  const { _id: id, ...fields } = document;
  if (Array.isArray(id)) throw new CommandError(ErrorCode.BadValue, "can't use an array for _id");
  if (id instanceof RegExp) throw new CommandError(ErrorCode.BadValue, "can't use a regex for _id");
  return { _id: id === undefined ? new ObjectId() : id, ...fields };
}

import type { Document } from 'bson';
import { decodeDocument, encodeDocument } from '../values/codec.js';
import { isPlainObject } from '../values/kinds.js';
import { encodeFrame, OpCode } from './framing.js';

/** The legacy OP_QUERY drivers still use for the first hello of a connection. */
export interface OpQueryRequest {
  /** The namespace queried, e.g. `admin.$cmd` for a command. */
  readonly collection: string;
  readonly query: Document;
}

export function decodeOpQuery(body: Buffer): OpQueryRequest {
  const nameEnd = body.indexOf(0, 4);
  if (nameEnd < 0) throw new Error('OP_QUERY without a collection name');
  const collection = body.toString('utf8', 4, nameEnd);
  const queryStart = nameEnd + 1 + 8;
  const size = body.readInt32LE(queryStart);
  const query = decodeDocument(body.subarray(queryStart, queryStart + size));
  // Commands sent with a read preference through mongos-style wrapping arrive as { $query: {...} }.
  return { collection, query: isPlainObject(query.$query) ? query.$query : query };
}

/** Response flag of an OP_REPLY whose single document is a query failure ($err). */
export const REPLY_QUERY_FAILURE = 1 << 1;

export function encodeOpReply(requestId: number, responseTo: number, reply: Document, responseFlags = 0): Buffer {
  const header = Buffer.alloc(20);
  header.writeInt32LE(responseFlags, 0);
  header.writeBigInt64LE(0n, 4);
  header.writeInt32LE(0, 12);
  header.writeInt32LE(1, 16);
  return encodeFrame(OpCode.Reply, requestId, responseTo, [header, encodeDocument(reply)]);
}

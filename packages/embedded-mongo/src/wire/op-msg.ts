import type { Document } from 'bson';
import { decodeDocument, decodeReceivedDocument, encodeDocument } from '../values/codec.js';
import { encodeFrame, OpCode } from './framing.js';

/** OP_MSG flag bits. */
export const MsgFlag = {
  ChecksumPresent: 1 << 0,
  MoreToCome: 1 << 1,
  ExhaustAllowed: 1 << 16,
} as const;

export interface OpMsgRequest {
  readonly flags: number;
  /** The body document with each document sequence (kind 1 section) merged in under its identifier. */
  readonly command: Document;
}

/** Decodes an OP_MSG body; the CRC-32C checksum, when present, is skipped rather than verified. */
export function decodeOpMsg(body: Buffer): OpMsgRequest {
  const flags = body.readUInt32LE(0);
  const end = body.length - (flags & MsgFlag.ChecksumPresent ? 4 : 0);
  let offset = 4;
  let command: Document | undefined;
  const sequences: [string, Document[]][] = [];
  while (offset < end) {
    const kind = body.readUInt8(offset);
    offset += 1;
    const size = body.readInt32LE(offset);
    if (size < 5 || offset + size > end) throw new Error(`OP_MSG section of invalid size ${size}`);
    if (kind === 0) {
      command = decodeDocument(body.subarray(offset, offset + size));
    } else if (kind === 1) {
      sequences.push(decodeSequence(body.subarray(offset + 4, offset + size)));
    } else {
      throw new Error(`OP_MSG section of unknown kind ${kind}`);
    }
    offset += size;
  }
  if (!command) throw new Error('OP_MSG without a body section');
  for (const [identifier, documents] of sequences) command[identifier] = documents;
  return { flags, command };
}

function decodeSequence(section: Buffer): [string, Document[]] {
  const terminator = section.indexOf(0);
  if (terminator < 0) throw new Error('OP_MSG document sequence without identifier');
  const identifier = section.toString('utf8', 0, terminator);
  const documents: Document[] = [];
  let offset = terminator + 1;
  while (offset < section.length) {
    const size = section.readInt32LE(offset);
    if (size < 5 || offset + size > section.length)
      throw new Error(`document of invalid size ${size} in sequence ${identifier}`);
    documents.push(decodeReceivedDocument(section.subarray(offset, offset + size)));
    offset += size;
  }
  return [identifier, documents];
}

export function encodeOpMsg(requestId: number, responseTo: number, reply: Document, flags = 0): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32LE(flags, 0);
  header.writeUInt8(0, 4);
  return encodeFrame(OpCode.Msg, requestId, responseTo, [header, encodeDocument(reply)]);
}

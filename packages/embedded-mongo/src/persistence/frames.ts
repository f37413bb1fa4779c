import { crc32 } from 'node:zlib';

/** Each frame: payload length (uint32 LE), CRC-32 of the payload (uint32 LE), payload. */
const HEADER_BYTES = 8;
/** Payloads are BSON documents, never shorter than this: zeroed space after a crash is no frame. */
const MIN_PAYLOAD_BYTES = 5;

export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

export interface DecodedFrames {
  readonly payloads: Buffer[];
  /** Bytes of whole, intact frames from the start; anything after them is a torn or damaged tail. */
  readonly validLength: number;
}

/** The intact frames at the start of the bytes, up to the first incomplete or damaged one. */
export function decodeFrames(bytes: Buffer): DecodedFrames {
  const payloads: Buffer[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32LE(offset);
    if (length < MIN_PAYLOAD_BYTES) break;
    const end = offset + HEADER_BYTES + length;
    if (end > bytes.length) break;
    const payload = bytes.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== bytes.readUInt32LE(offset + 4)) break;
    payloads.push(payload);
    offset = end;
  }
  return { payloads, validLength: offset };
}

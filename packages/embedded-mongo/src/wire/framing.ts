/** Message opcodes of the MongoDB wire protocol. */
export const OpCode = {
  Reply: 1,
  Query: 2004,
  Compressed: 2012,
  Msg: 2013,
} as const;

const HEADER_SIZE = 16;
/** Comfortably above maxMessageSizeBytes (48 MB); a larger length means the stream is not a MongoDB client's. */
const MAX_FRAME_SIZE = 64 * 1024 * 1024;

/** One wire message: its header fields and the bytes after the header. */
export interface Frame {
  readonly requestId: number;
  readonly responseTo: number;
  readonly opCode: number;
  readonly body: Buffer;
}

/** The byte stream cannot be split into messages any more; the connection has to be closed. */
class FramingError extends Error {}

/** Splits a socket's byte stream into wire messages by their length prefix. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readInt32LE(0);
      if (length < HEADER_SIZE || length > MAX_FRAME_SIZE) throw new FramingError(`invalid message length ${length}`);
      if (this.buffer.length < length) break;
      frames.push({
        requestId: this.buffer.readInt32LE(4),
        responseTo: this.buffer.readInt32LE(8),
        opCode: this.buffer.readInt32LE(12),
        body: this.buffer.subarray(HEADER_SIZE, length),
      });
      this.buffer = this.buffer.subarray(length);
    }
    return frames;
  }
}

/** A complete wire message: the header followed by the body parts. */
export function encodeFrame(
  opCode: number,
  requestId: number,
  responseTo: number,
  parts: readonly Uint8Array[],
): Buffer {
  const length = HEADER_SIZE + parts.reduce((sum, part) => sum + part.length, 0);
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeInt32LE(length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, ...parts]);
}

import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { deserialize, serialize } from 'bson';
import type { Document } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo } from '../src/index.js';
import type { EmbeddedMongo } from '../src/index.js';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

let server: EmbeddedMongo;

beforeAll(async () => {
  server = await startEmbeddedMongo();
});

afterAll(async () => {
  await server?.stop();
});

function frame(opCode: number, requestId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, body]);
}

function cstring(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf8');
}

/** Sends one raw message and resolves with the raw reply (header and body). */
async function exchange(message: Buffer): Promise<{ opCode: number; responseTo: number; body: Buffer }> {
  const socket: Socket = connect(Number(new URL(server.uri).port), '127.0.0.1');
  try {
    socket.write(message);
    let received = Buffer.alloc(0);
    for await (const chunk of socket) {
      received = Buffer.concat([received, chunk as Buffer]);
      if (received.length >= 4 && received.length >= received.readInt32LE(0)) break;
    }
    return {
      responseTo: received.readInt32LE(8),
      opCode: received.readInt32LE(12),
      body: received.subarray(16, received.readInt32LE(0)),
    };
  } finally {
    socket.destroy();
  }
}

function opMsgReply(body: Buffer): Document {
  expect(body.readUInt32LE(0)).toBe(0);
  expect(body.readUInt8(4)).toBe(0);
  return deserialize(body.subarray(5));
}

describe('the wire protocol, byte for byte', () => {
  it('answers a legacy OP_QUERY isMaster with an OP_REPLY', async () => {
    const body = Buffer.concat([
      Buffer.alloc(4),
      cstring('admin.$cmd'),
      Buffer.alloc(4),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
      serialize({ isMaster: 1 }),
    ]);
    const reply = await exchange(frame(OP_QUERY, 7, body));
    expect(reply).toMatchObject({ opCode: OP_REPLY, responseTo: 7 });
    expect(reply.body.readInt32LE(16)).toBe(1);
    expect(deserialize(reply.body.subarray(20))).toMatchObject({ ismaster: true, ok: 1, maxWireVersion: 21 });
  });

  it('merges OP_MSG document sequences into the command and tolerates a checksum', async () => {
    const documents = Buffer.concat([serialize({ _id: 1, v: 'a' }), serialize({ _id: 2, v: 'b' })]);
    const identifier = cstring('documents');
    const sequenceSize = Buffer.alloc(4);
    sequenceSize.writeInt32LE(4 + identifier.length + documents.length);
    const flags = Buffer.alloc(4);
    flags.writeUInt32LE(1);
    const body = Buffer.concat([
      flags,
      Buffer.from([0]),
      serialize({ insert: 'wire', $db: 'wire_test' }),
      Buffer.from([1]),
      sequenceSize,
      identifier,
      documents,
      Buffer.from([0xde, 0xad, 0xbe, 0xef]),
    ]);
    const reply = await exchange(frame(OP_MSG, 9, body));
    expect(reply).toMatchObject({ opCode: OP_MSG, responseTo: 9 });
    expect(opMsgReply(reply.body)).toMatchObject({ n: 2, ok: 1 });
    const found = await exchange(
      frame(
        OP_MSG,
        10,
        Buffer.concat([Buffer.alloc(4), Buffer.from([0]), serialize({ count: 'wire', $db: 'wire_test' })]),
      ),
    );
    expect(opMsgReply(found.body)).toMatchObject({ n: 2, ok: 1 });
  });

  it('answers a message whose body is not valid BSON with an error instead of dropping the connection', async () => {
    const body = Buffer.concat([Buffer.alloc(4), Buffer.from([0]), Buffer.from([0x20, 0, 0, 0, 0x02, 0x61])]);
    const reply = await exchange(frame(OP_MSG, 11, body));
    expect(opMsgReply(reply.body)).toMatchObject({ ok: 0, code: 9 });
  });
});

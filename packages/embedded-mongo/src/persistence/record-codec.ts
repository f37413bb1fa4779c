import { Binary, serialize } from 'bson';
import type { Document } from 'bson';
import { decodeDocument } from '../values/codec.js';
import type { CommitGroup, CommitRecord, RecordOp, RetryableWrite } from './commit-record.js';

/** Numbers kept per commit of a packed insert batch: cluster time (t, i), wall-clock milliseconds, sequence. */
const TICK_FIELDS = 4;

type ReceivedInsert = Extract<RecordOp, { received: Binary }>;

/**
 * The inserts of one write command (each its own commit, as the bytes the client sent) into one
 * collection, when that is all the record holds; undefined otherwise.
 */
function insertBatch(record: CommitRecord | CommitGroup): ReceivedInsert[] | undefined {
  if (!('commits' in record) || record.commits.length < 2) return undefined;
  const inserts: ReceivedInsert[] = [];
  for (const commit of record.commits) {
    const op = commit.ops[0];
    if (commit.ops.length !== 1 || !commit.tick || commit.txn || op?.op !== 'insert' || !('received' in op)) {
      return undefined;
    }
    const first = inserts[0];
    if (first && (op.db !== first.db || op.coll !== first.coll)) return undefined;
    inserts.push(op);
  }
  return inserts;
}

/**
 * A journal record as BSON. A batch of inserts (the common bulk write) is packed: its documents'
 * bytes back to back in one binary, its commits' times in another, so that encoding it costs two
 * copies instead of walking a thousand small commit documents.
 */
export function encodeRecord(lsn: number, record: CommitRecord | CommitGroup): Uint8Array {
  const inserts = insertBatch(record);
  if (!inserts) return serialize({ lsn, ...record });
  const { commits, retryable } = record as CommitGroup;
  const ticks = new Float64Array(commits.length * TICK_FIELDS);
  commits.forEach((commit, index) => {
    const tick = commit.tick as NonNullable<CommitRecord['tick']>;
    ticks.set([tick.t, tick.i, tick.wall.getTime(), tick.seq], index * TICK_FIELDS);
  });
  const docs = Buffer.concat(inserts.map((op) => op.received.buffer));
  const { db, coll } = inserts[0] as ReceivedInsert;
  const packed: Document = { db, coll, ticks: new Binary(new Uint8Array(ticks.buffer)), docs: new Binary(docs) };
  return serialize(retryable ? { lsn, packed, retryable } : { lsn, packed });
}

/** The commits of a packed insert batch, as {@link encodeRecord} received them. */
function unpack(packed: Document): CommitRecord[] {
  const { db, coll } = packed as { db: string; coll: string };
  const tickBytes = (packed.ticks as Binary).buffer;
  const ticks = new Float64Array(tickBytes.buffer.slice(tickBytes.byteOffset, tickBytes.byteOffset + tickBytes.length));
  const docs = (packed.docs as Binary).buffer;
  const commits: CommitRecord[] = [];
  let offset = 0;
  for (let index = 0; offset < docs.length; index++) {
    const length = new DataView(docs.buffer, docs.byteOffset + offset, 4).getInt32(0, true);
    const at = index * TICK_FIELDS;
    commits.push({
      tick: {
        t: ticks[at] as number,
        i: ticks[at + 1] as number,
        wall: new Date(ticks[at + 2] as number),
        seq: ticks[at + 3] as number,
      },
      ops: [{ op: 'insert', db, coll, received: new Binary(docs.subarray(offset, offset + length)) }],
    });
    offset += length;
  }
  return commits;
}

/** A journal record from its BSON: its LSN and what it holds (a packed batch unpacked). */
export function decodeRecord(payload: Uint8Array): { lsn: number; record: CommitRecord | CommitGroup } {
  const document = decodeDocument(payload);
  const lsn = document.lsn as number;
  if (!document.packed) return { lsn, record: document as unknown as CommitRecord | CommitGroup };
  const commits = unpack(document.packed as Document);
  const record: CommitGroup = document.retryable
    ? { commits, retryable: document.retryable as RetryableWrite }
    : { commits };
  return { lsn, record };
}

import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { serialize, Timestamp } from 'bson';
import type { Binary, Document, UUID } from 'bson';
import type { ChangeEntry, ChangeKind, LogPosition } from '../change-streams/change-log.js';
import type { Engine } from '../engine.js';
import type { StoredDocument } from '../storage/collection.js';
import { describeIndex } from '../storage/index-spec.js';
import { decodeDocument } from '../values/codec.js';
import { viewOptions } from '../views.js';
import type { CommittedTransaction, RetryableWrite } from './commit-record.js';
import { snapshotPath, syncDirectory } from './files.js';
import { decodeFrames, encodeFrame } from './frames.js';

/** Documents (or change events) per frame: small enough to yield to clients between frames. */
const FRAME_ITEMS = 500;

export interface SnapshotCollection {
  readonly db: string;
  readonly name: string;
  readonly options: Document;
  readonly uuid: UUID;
  /** listIndexes entries of the secondary indexes. */
  readonly indexes: Document[];
  readonly documents: Document[];
}

/** A view as a snapshot keeps it: its options as listCollections shows them. */
export interface SnapshotView {
  readonly db: string;
  readonly name: string;
  readonly options: Document;
}

/** The durable state as of one LSN: the catalog, the documents, the change history and the clock. */
export interface Snapshot {
  readonly lsn: number;
  readonly clock: { readonly t: number; readonly i: number; readonly seq: number };
  readonly collections: SnapshotCollection[];
  /** Absent from the frames of a snapshot written before views existed: none. */
  readonly views: SnapshotView[];
  readonly changes: ChangeEntry[];
  readonly lost: LogPosition | undefined;
  /** The latest retryable write of each session, answered again if a driver retries it. */
  readonly retryableWrites: RetryableWrite[];
  /** The transaction each session committed last, whose commit a driver may retry. */
  readonly committedTransactions: CommittedTransaction[];
}

interface CapturedCollection extends Omit<SnapshotCollection, 'documents'> {
  readonly records: StoredDocument[];
}

/** The engine's state at this instant, by reference: stored documents and log entries are immutable. */
export interface CapturedState extends Omit<Snapshot, 'collections' | 'changes'> {
  readonly collections: CapturedCollection[];
  readonly changes: readonly ChangeEntry[];
}

export function captureState(engine: Engine, lsn: number): CapturedState {
  const collections: CapturedCollection[] = [];
  for (const db of engine.catalog.databaseNames()) {
    for (const collection of engine.catalog.collections(db)) {
      collections.push({
        db,
        name: collection.name,
        options: collection.options,
        uuid: collection.uuid,
        indexes: [...collection.indexes.values()].map((table) => describeIndex(table.spec)),
        records: [...collection.records.values()],
      });
    }
  }
  const views = engine.catalog.allViews().map((view) => ({ db: view.db, name: view.name, options: viewOptions(view) }));
  const time = engine.clock.current();
  const { entries, lost } = engine.changes.retained();
  const clock = { t: time.t, i: time.i, seq: engine.clock.sequence };
  const { transactions } = engine;
  return {
    lsn,
    clock,
    collections,
    views,
    changes: entries,
    lost,
    retryableWrites: transactions.retryableWrites(),
    committedTransactions: transactions.committedTransactions(),
  };
}

function changeDocument(entry: ChangeEntry): Document {
  const change: Document = {
    t: entry.position.t,
    i: entry.position.i,
    n: entry.position.index,
    w: entry.wallTime,
    k: entry.kind,
    db: entry.db,
    b: entry.before,
    a: entry.after,
  };
  if (entry.coll !== undefined) change.c = entry.coll;
  if (entry.transaction) change.x = entry.transaction;
  if (entry.to) change.r = entry.to;
  if (entry.uuid) change.u = entry.uuid;
  if (entry.description) change.d = entry.description;
  if (entry.stateBefore) change.s = entry.stateBefore;
  if (entry.images) change.p = true;
  return change;
}

function changeEntry(change: Document): ChangeEntry {
  const position = { t: change.t as number, i: change.i as number, index: change.n as number };
  return {
    position,
    clusterTime: new Timestamp({ t: position.t, i: position.i }),
    wallTime: change.w as Date,
    kind: change.k as ChangeKind,
    db: change.db as string,
    coll: change.c as string | undefined,
    before: change.b as Document | null,
    after: change.a as Document | null,
    transaction: change.x as ChangeEntry['transaction'],
    ...(change.r ? { to: change.r as ChangeEntry['to'] } : {}),
    ...(change.u ? { uuid: (change.u as Binary).toUUID() } : {}),
    ...(change.d ? { description: change.d as Document } : {}),
    ...(change.s ? { stateBefore: change.s as Document } : {}),
    ...(change.p ? { images: true } : {}),
  };
}

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let start = 0; start < items.length; start += FRAME_ITEMS) yield items.slice(start, start + FRAME_ITEMS);
}

/** The frames of a snapshot, produced lazily so that writing it yields between frames. */
function* snapshotFrames(state: CapturedState): Generator<Buffer> {
  const { t, i, seq } = state.clock;
  const header: Document = { kind: 'header', lsn: state.lsn, t, i, seq };
  if (state.lost) header.lost = state.lost;
  yield encodeFrame(serialize(header));
  let frames = 1;
  for (const collection of state.collections) {
    const { db, name, options, uuid, indexes } = collection;
    yield encodeFrame(serialize({ kind: 'collection', db, name, options, uuid, indexes }));
    frames += 1;
    for (const records of chunks(collection.records)) {
      yield encodeFrame(serialize({ kind: 'documents', docs: records.map((record) => record.doc) }));
      frames += 1;
    }
  }
  for (const view of state.views) {
    yield encodeFrame(serialize({ kind: 'view', ...view }));
    frames += 1;
  }
  for (const entries of chunks(state.changes)) {
    yield encodeFrame(serialize({ kind: 'changes', entries: entries.map(changeDocument) }));
    frames += 1;
  }
  for (const writes of chunks(state.retryableWrites)) {
    yield encodeFrame(serialize({ kind: 'retryableWrites', writes }));
    frames += 1;
  }
  for (const committed of chunks(state.committedTransactions)) {
    yield encodeFrame(serialize({ kind: 'committedTransactions', committed }));
    frames += 1;
  }
  yield encodeFrame(serialize({ kind: 'end', frames }));
}

/**
 * Writes the snapshot beside the journal: to a temporary file, synced, then renamed into place, so
 * a snapshot file either exists whole or not at all. Returns its size in bytes.
 */
export async function writeSnapshot(dir: string, state: CapturedState): Promise<number> {
  const path = snapshotPath(dir, state.lsn);
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, 'w');
  let bytes = 0;
  try {
    for (const frame of snapshotFrames(state)) {
      let written = 0;
      while (written < frame.length) {
        written += (await handle.write(frame, written, frame.length - written)).bytesWritten;
      }
      bytes += frame.length;
    }
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  await syncDirectory(dirname(path));
  return bytes;
}

/** Reads a snapshot file; undefined when it is not whole (which a renamed snapshot always is). */
export async function readSnapshot(path: string): Promise<Snapshot | undefined> {
  const bytes = await readFile(path);
  const { payloads, validLength } = decodeFrames(bytes);
  if (validLength !== bytes.length || payloads.length < 2) return undefined;
  const [header, ...rest] = payloads.map((payload) => decodeDocument(payload));
  const end = rest.pop();
  if (header?.kind !== 'header' || end?.kind !== 'end' || end.frames !== payloads.length - 1) return undefined;
  const collections: SnapshotCollection[] = [];
  const views: SnapshotView[] = [];
  const changes: ChangeEntry[] = [];
  const retryableWrites: RetryableWrite[] = [];
  const committedTransactions: CommittedTransaction[] = [];
  for (const frame of rest) {
    if (frame.kind === 'collection') {
      const uuid = (frame.uuid as { toUUID(): UUID }).toUUID();
      collections.push({ ...(frame as SnapshotCollection), uuid, documents: [] });
    } else if (frame.kind === 'view') views.push(frame as SnapshotView);
    else if (frame.kind === 'documents') collections.at(-1)?.documents.push(...(frame.docs as Document[]));
    else if (frame.kind === 'changes') changes.push(...(frame.entries as Document[]).map(changeEntry));
    else if (frame.kind === 'retryableWrites') retryableWrites.push(...(frame.writes as RetryableWrite[]));
    else if (frame.kind === 'committedTransactions')
      committedTransactions.push(...(frame.committed as CommittedTransaction[]));
  }
  return {
    lsn: header.lsn as number,
    clock: { t: header.t as number, i: header.i as number, seq: header.seq as number },
    collections,
    views,
    changes,
    lost: header.lost as LogPosition | undefined,
    retryableWrites,
    committedTransactions,
  };
}

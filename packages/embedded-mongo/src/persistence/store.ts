import { mkdir, readFile, rm, truncate } from 'node:fs/promises';
import type { Engine } from '../engine.js';
import type { CommitGroup, CommitRecord, CommitSink } from './commit-record.js';
import { listDirectory, lockDirectory, syncDirectory } from './files.js';
import type { NumberedFile } from './files.js';
import { decodeFrames } from './frames.js';
import { Journal } from './journal.js';
import { decodeRecord } from './record-codec.js';
import { replayRecord, restoreSnapshot } from './replay.js';
import { captureState, readSnapshot, writeSnapshot } from './snapshot.js';

/** A snapshot is taken once the journal since the last one outgrows both this and that snapshot. */
const DEFAULT_SNAPSHOT_AFTER_BYTES = 16 * 1024 * 1024;

export interface StoreOptions {
  /** The data directory; created when missing. */
  readonly dir: string;
  /** The URI the server is reachable at, recorded in the directory's lock. */
  readonly uri: string;
  /** Journal bytes that trigger a snapshot (at least; a large snapshot raises the bar to its own size). */
  readonly snapshotAfterBytes?: number;
}

/** What recovery found and did, for the start-up log. */
export interface RecoveryReport {
  readonly snapshotLsn: number;
  readonly replayedRecords: number;
  readonly droppedTailBytes: number;
}

/**
 * The durable side of an engine: recovery at start (the newest snapshot, then the journal after
 * it, a torn tail dropped), the journal of every commit, and snapshots taken in the background
 * that let older journal segments and snapshots be deleted.
 */
export class DurableStore implements CommitSink {
  readonly recovery: RecoveryReport;
  private readonly dir: string;
  private readonly engine: Engine;
  private readonly journal: Journal;
  private readonly unlock: () => Promise<void>;
  private readonly snapshotAfterBytes: number;
  private lastSnapshotBytes = 0;
  private snapshotting: Promise<void> | undefined;
  private snapshotFailure: Error | undefined;

  private constructor(
    options: StoreOptions,
    engine: Engine,
    journal: Journal,
    unlock: () => Promise<void>,
    recovery: RecoveryReport,
  ) {
    this.dir = options.dir;
    this.engine = engine;
    this.journal = journal;
    this.unlock = unlock;
    this.recovery = recovery;
    this.snapshotAfterBytes = options.snapshotAfterBytes ?? DEFAULT_SNAPSHOT_AFTER_BYTES;
  }

  /** Recovers the directory's state into the (fresh) engine, then records every later commit. */
  static async open(engine: Engine, options: StoreOptions): Promise<DurableStore> {
    await mkdir(options.dir, { recursive: true });
    const unlock = await lockDirectory(options.dir, options.uri);
    try {
      const { recovery, lastLsn } = await recover(engine, options.dir);
      const journal = await Journal.start(options.dir, lastLsn);
      const store = new DurableStore(options, engine, journal, unlock, recovery);
      engine.recordCommitsIn(store);
      return store;
    } catch (error) {
      await unlock();
      throw error;
    }
  }

  append(record: CommitRecord | CommitGroup): void {
    this.journal.append(record);
    if (!this.snapshotting && this.journal.bytesInSegment >= Math.max(this.snapshotAfterBytes, this.lastSnapshotBytes))
      this.snapshotting = this.snapshot();
  }

  durable(): Promise<void> | undefined {
    return this.journal.durable();
  }

  /** Waits for the journal to be on disk and for a snapshot under way, then releases the directory. */
  async close(): Promise<void> {
    await this.snapshotting;
    await this.journal.close();
    await this.unlock();
  }

  /**
   * Captures the state at the current LSN (by reference: nothing is copied), starts a new journal
   * segment for what follows, writes the snapshot while clients go on, then deletes the journal
   * segments and snapshots it makes unnecessary.
   */
  private async snapshot(): Promise<void> {
    const { lsn, opened } = this.journal.rotate();
    const state = captureState(this.engine, lsn);
    try {
      this.lastSnapshotBytes = await writeSnapshot(this.dir, state);
      await opened;
      const { journals, snapshots } = await listDirectory(this.dir);
      const obsolete = [
        ...journals.filter((segment) => segment.lsn <= lsn),
        ...snapshots.filter((snapshot) => snapshot.lsn < lsn),
      ];
      for (const file of obsolete) await rm(file.path, { force: true });
      await syncDirectory(this.dir);
    } catch (error) {
      // The journal still holds everything: a failed snapshot costs start-up time, not data.
      this.snapshotFailure = error as Error;
    } finally {
      this.snapshotting = undefined;
    }
  }

  /** The error of the latest failed snapshot, if any (reported, never fatal). */
  get lastSnapshotError(): Error | undefined {
    return this.snapshotFailure;
  }
}

async function recover(engine: Engine, dir: string): Promise<{ recovery: RecoveryReport; lastLsn: number }> {
  const { journals, snapshots, temporary } = await listDirectory(dir);
  for (const path of temporary) await rm(path, { force: true });
  let lastLsn = 0;
  for (const file of snapshots) {
    const snapshot = await readSnapshot(file.path);
    if (!snapshot) continue;
    restoreSnapshot(engine, snapshot);
    lastLsn = snapshot.lsn;
    break;
  }
  const snapshotLsn = lastLsn;
  let replayedRecords = 0;
  let droppedTailBytes = 0;
  for (const [index, segment] of journals.entries()) {
    const { records, validLength, length, tornBytes } = await readSegment(segment);
    const last = index === journals.length - 1;
    if (tornBytes > 0 && !last) {
      throw new Error(`The embedded database journal ${segment.path} is damaged before its end`);
    }
    // After the last intact frame: zero-filled space the journal had not reached yet, and in the
    // last segment perhaps the frames a crash interrupted, never acknowledged.
    if (validLength < length) await truncate(segment.path, validLength);
    droppedTailBytes += tornBytes;
    for (const { lsn, record } of records) {
      if (lsn <= lastLsn) continue;
      if (lsn !== lastLsn + 1) throw new Error(`The embedded database journal misses records before LSN ${lsn}`);
      replayRecord(engine, record);
      lastLsn = lsn;
      replayedRecords += 1;
    }
  }
  return { recovery: { snapshotLsn, replayedRecords, droppedTailBytes }, lastLsn };
}

async function readSegment(segment: NumberedFile) {
  const bytes = await readFile(segment.path);
  const { payloads, validLength } = decodeFrames(bytes);
  const tail = bytes.subarray(validLength);
  let tornBytes = tail.length;
  while (tornBytes > 0 && tail[tornBytes - 1] === 0) tornBytes -= 1;
  return { records: payloads.map(decodeRecord), validLength, length: bytes.length, tornBytes };
}

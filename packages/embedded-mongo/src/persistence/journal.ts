import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CommitGroup, CommitRecord } from './commit-record.js';
import { journalPath, syncDirectory } from './files.js';
import { encodeFrame } from './frames.js';
import { encodeRecord } from './record-codec.js';

/**
 * The journal is written into space zero-filled ahead of it, this much at a time: a sync after
 * overwriting blocks the file already has only flushes data, where one after appending must also
 * commit the file's new size (a second flush on ext4 and most file systems).
 */
const PREALLOCATE_BYTES = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(PREALLOCATE_BYTES);

interface Appended {
  readonly lsn: number;
  readonly frame: Buffer;
}

interface Waiter {
  readonly lsn: number;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * The write-ahead journal: every commit is appended as one checksummed frame, and a command is
 * answered only once the frames of everything it did or saw are on disk. Frames appended while a
 * flush is under way are written and synced together by the next one (group commit), so one
 * fdatasync serves every writer that arrived meanwhile.
 */
export class Journal {
  private readonly dir: string;
  private handle: FileHandle;
  private queue: Appended[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  /** Frames up to this LSN go to the current segment, later ones to a new segment. */
  private rotateAfter: number | undefined;
  private rotated: (() => void) | undefined;
  private failure: Error | undefined;
  private lastLsn: number;
  private syncedLsn: number;
  /** Bytes appended since the current segment was opened. */
  private segmentBytes = 0;
  /** Where the next frame goes in the current segment, and how far the segment is zero-filled. */
  private position: number;
  private allocated: number;

  private constructor(dir: string, segment: OpenSegment, lastLsn: number) {
    this.dir = dir;
    this.handle = segment.handle;
    this.position = segment.size;
    this.allocated = segment.size;
    this.lastLsn = lastLsn;
    this.syncedLsn = lastLsn;
  }

  /** Opens a new segment for the records after `lastLsn`. */
  static async start(dir: string, lastLsn: number): Promise<Journal> {
    return new Journal(dir, await openSegment(dir, lastLsn + 1), lastLsn);
  }

  get appendedLsn(): number {
    return this.lastLsn;
  }

  get bytesInSegment(): number {
    return this.segmentBytes;
  }

  append(record: CommitRecord | CommitGroup): number {
    if (this.failure) throw this.failure;
    this.lastLsn += 1;
    const frame = encodeFrame(encodeRecord(this.lastLsn, record));
    this.queue.push({ lsn: this.lastLsn, frame });
    this.segmentBytes += frame.length;
    this.flushing ??= this.flush();
    return this.lastLsn;
  }

  /** Settles once everything appended so far is on disk; undefined when it already is. */
  durable(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (this.syncedLsn >= this.lastLsn) return undefined;
    const lsn = this.lastLsn;
    return new Promise((resolve, reject) => this.waiters.push({ lsn, resolve, reject }));
  }

  /**
   * Records after the current last LSN go to a new segment, so that the older segments can be
   * deleted once a snapshot holds them. Returns that LSN, and when the new segment is open.
   */
  rotate(): { lsn: number; opened: Promise<void> } {
    this.rotateAfter = this.lastLsn;
    this.segmentBytes = 0;
    const opened = new Promise<void>((resolve) => {
      this.rotated = resolve;
    });
    this.flushing ??= this.flush();
    return { lsn: this.lastLsn, opened };
  }

  /** Writes and syncs what is queued; resolves when nothing is left. */
  async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async close(): Promise<void> {
    await this.settle();
    await this.closeSegment();
  }

  /** Cuts the zero-filled space off the segment's end (recovery also accepts it there) and closes it. */
  private async closeSegment(): Promise<void> {
    await this.handle.truncate(this.position);
    await this.handle.close();
  }

  private async flush(): Promise<void> {
    // Let every command that is already under way in this turn of the event loop join the batch.
    await nextTurn();
    try {
      while (this.queue.length > 0 || this.rotateAfter !== undefined) {
        const batch = this.queue;
        this.queue = [];
        const boundary = this.rotateAfter;
        const before = boundary === undefined ? batch : batch.filter((entry) => entry.lsn <= boundary);
        await this.write(before);
        if (boundary !== undefined) {
          this.rotateAfter = undefined;
          await this.closeSegment();
          const segment = await openSegment(this.dir, boundary + 1);
          this.handle = segment.handle;
          this.position = segment.size;
          this.allocated = segment.size;
          this.rotated?.();
          await this.write(batch.slice(before.length));
        }
      }
    } catch (error) {
      this.failure = new Error(`The embedded database journal could not be written: ${(error as Error).message}`);
      for (const waiter of this.waiters) waiter.reject(this.failure);
      this.waiters = [];
      this.rotated?.();
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(entries: readonly Appended[]): Promise<void> {
    if (entries.length === 0) return;
    const bytes = Buffer.concat(entries.map((entry) => entry.frame));
    while (this.allocated < this.position + bytes.length) {
      await this.writeAt(ZEROS, this.allocated);
      this.allocated += ZEROS.length;
    }
    await this.writeAt(bytes, this.position);
    this.position += bytes.length;
    await this.handle.datasync();
    this.syncedLsn = (entries[entries.length - 1] as Appended).lsn;
    const waiting = this.waiters;
    this.waiters = waiting.filter((waiter) => waiter.lsn > this.syncedLsn);
    for (const waiter of waiting) if (waiter.lsn <= this.syncedLsn) waiter.resolve();
  }

  private async writeAt(bytes: Buffer, position: number): Promise<void> {
    let written = 0;
    while (written < bytes.length) {
      written += (await this.handle.write(bytes, written, bytes.length - written, position + written)).bytesWritten;
    }
  }
}

interface OpenSegment {
  readonly handle: FileHandle;
  readonly size: number;
}

/** Opens (creating it if needed) the segment whose first record is `firstLsn`, for writing after what it holds. */
async function openSegment(dir: string, firstLsn: number): Promise<OpenSegment> {
  const path = journalPath(dir, firstLsn);
  await (await open(path, 'a')).close();
  await syncDirectory(dir);
  const handle = await open(path, 'r+');
  return { handle, size: (await handle.stat()).size };
}

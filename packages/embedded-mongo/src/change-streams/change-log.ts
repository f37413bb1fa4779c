import { Long } from 'bson';
import type { Document, Timestamp, UUID } from 'bson';
import type { ClusterTick } from '../cluster-time.js';
import { CommandError, ErrorCode, NON_RESUMABLE_CHANGE_STREAM_ERROR } from '../errors.js';

export type ChangeKind =
  | 'insert'
  | 'update'
  | 'replace'
  | 'delete'
  | 'drop'
  | 'dropDatabase'
  | 'rename'
  | 'create'
  | 'createIndexes'
  | 'dropIndexes'
  | 'modify';

/** DDL events a change stream shows only with `showExpandedEvents` (MongoDB 6.0+). */
export const EXPANDED_KINDS: ReadonlySet<ChangeKind> = new Set(['create', 'createIndexes', 'dropIndexes', 'modify']);

/** Where an event sits in the log: its commit's cluster time and its index within the commit. */
export interface LogPosition {
  readonly t: number;
  readonly i: number;
  readonly index: number;
}

/** One committed change, kept as data; change streams render it into an event per their options. */
export interface ChangeEntry {
  readonly position: LogPosition;
  readonly clusterTime: Timestamp;
  readonly wallTime: Date;
  readonly kind: ChangeKind;
  readonly db: string;
  readonly coll: string | undefined;
  readonly before: Document | null;
  readonly after: Document | null;
  readonly transaction: { readonly lsid: Document; readonly txnNumber: Long } | undefined;
  /** The new namespace of a rename. */
  readonly to?: { readonly db: string; readonly coll: string };
  /** The UUID of the collection the change happened to (collectionUUID of expanded events). */
  readonly uuid?: UUID;
  /** What a DDL event's operationDescription says (expanded events). */
  readonly description?: Document;
  /** The options a collMod changed, as they were before it (a modify event's stateBeforeChange). */
  readonly stateBefore?: Document;
  /** Whether the write's pre- and post-images were kept (its collection had changeStreamPreAndPostImages). */
  readonly images?: boolean;
}

export type ChangeInput = Pick<
  ChangeEntry,
  'kind' | 'db' | 'coll' | 'before' | 'after' | 'to' | 'uuid' | 'description' | 'stateBefore' | 'images'
>;

/** A position after every event of a commit: what a stream has seen once it read up to that commit. */
const END_OF_COMMIT = 0xffffffff;

export function comparePositions(a: LogPosition, b: LogPosition): number {
  return a.t - b.t || a.i - b.i || a.index - b.index;
}

/** Resume tokens are `{ _data: <hex> }` holding the position, like the server's (opaque) keystrings. */
export function resumeToken(position: LogPosition): Document {
  const hex = (value: number): string => value.toString(16).padStart(8, '0');
  return { _data: `${hex(position.t)}${hex(position.i)}${hex(position.index)}` };
}

export function parseResumeToken(token: unknown): LogPosition {
  const data = (token as { _data?: unknown } | null)?._data;
  if (typeof data !== 'string' || !/^[0-9a-f]{24}$/.test(data)) {
    throw new CommandError(ErrorCode.BadValue, `Invalid resume token: ${JSON.stringify(token)}`);
  }
  const part = (start: number): number => Number.parseInt(data.slice(start, start + 8), 16);
  return { t: part(0), i: part(8), index: part(16) };
}

/** The position just before every event committed at or after the given cluster time. */
export function positionBefore(time: Timestamp): LogPosition {
  return { t: time.t, i: time.i, index: -1 };
}

/** How much history change streams can resume from, like an oplog's size and retention. */
export interface ChangeHistoryWindow {
  /** The most events kept (default 100,000). */
  readonly maxEvents?: number;
  /** The longest time an event is kept, in seconds (default 24 hours). */
  readonly maxAgeSeconds?: number;
}

const DEFAULT_MAX_EVENTS = 100_000;
const DEFAULT_MAX_AGE_SECONDS = 24 * 60 * 60;
/** Entries per chunk: the oldest chunk is dropped whole once every entry in it has been trimmed. */
const CHUNK = 4096;

/**
 * The change events in commit order, within a window bounded by count and age: the oldest are
 * trimmed as new ones arrive, and resuming from before what is kept fails with
 * ChangeStreamHistoryLost. Entries are kept in fixed-size chunks, so trimming moves an offset
 * (and drops a chunk now and then) instead of shifting the whole history. Readers waiting for new
 * events are woken on append rather than polling.
 */
export class ChangeLog {
  private chunks: ChangeEntry[][] = [];
  /** Entries of the first chunk already trimmed. */
  private head = 0;
  private count = 0;
  private lost: LogPosition | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly maxEvents: number;
  private readonly maxAgeMs: number;

  constructor(window: ChangeHistoryWindow = {}) {
    this.maxEvents = window.maxEvents ?? DEFAULT_MAX_EVENTS;
    this.maxAgeMs = (window.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS) * 1000;
  }

  append(tick: ClusterTick, changes: readonly ChangeInput[], transaction?: ChangeEntry['transaction']): void {
    const { t, i } = tick.clusterTime;
    changes.forEach((change, index) => {
      this.push({
        ...change,
        position: { t, i, index },
        clusterTime: tick.clusterTime,
        wallTime: tick.wallTime,
        transaction,
      });
    });
    this.trim(Date.now() - this.maxAgeMs);
    this.wake();
  }

  /** The retained history and the position of the last event dropped from it, for a snapshot. */
  retained(): { entries: readonly ChangeEntry[]; lost: LogPosition | undefined } {
    const entries: ChangeEntry[] = [];
    for (let index = 0; index < this.count; index++) entries.push(this.at(index) as ChangeEntry);
    return { entries, lost: this.lost };
  }

  /** Takes over the history of a snapshot (at start-up, before anything is appended). */
  restore(entries: readonly ChangeEntry[], lost: LogPosition | undefined): void {
    this.chunks = [];
    this.head = 0;
    this.count = 0;
    for (const entry of entries) this.push(entry);
    this.lost = lost;
    this.trim(Date.now() - this.maxAgeMs);
  }

  /** The position after everything logged so far at the given latest cluster time. */
  highWaterMark(latest: Timestamp): LogPosition {
    return { t: latest.t, i: latest.i, index: END_OF_COMMIT };
  }

  /** The index of the first entry after the position; fails if events after it were already discarded. */
  indexAfter(position: LogPosition): number {
    if (this.lost && comparePositions(position, this.lost) < 0) {
      throw new CommandError(
        ErrorCode.ChangeStreamHistoryLost,
        'Resume of change stream was not possible, as the resume point may no longer be in the oplog.',
        { labels: [NON_RESUMABLE_CHANGE_STREAM_ERROR] },
      );
    }
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (comparePositions((this.at(middle) as ChangeEntry).position, position) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  at(index: number): ChangeEntry | undefined {
    if (index < 0 || index >= this.count) return undefined;
    const offset = this.head + index;
    return this.chunks[Math.floor(offset / CHUNK)]?.[offset % CHUNK];
  }

  get length(): number {
    return this.count;
  }

  private push(entry: ChangeEntry): void {
    let last = this.chunks[this.chunks.length - 1];
    if (!last || last.length === CHUNK) {
      last = [];
      this.chunks.push(last);
    }
    last.push(entry);
    this.count += 1;
  }

  /** Drops the oldest entries beyond the window: more than maxEvents, or written before `oldest` (ms). */
  private trim(oldest: number): void {
    while (this.count > 0) {
      const first = this.at(0) as ChangeEntry;
      if (this.count <= this.maxEvents && first.wallTime.getTime() >= oldest) break;
      this.lost = first.position;
      this.head += 1;
      this.count -= 1;
      if (this.head === CHUNK) {
        this.chunks.shift();
        this.head = 0;
      }
    }
  }

  /** Resolves on the next append, after the timeout, or on abort, whichever comes first. */
  waitForAppend(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      if (signal.aborted) return done();
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  /** Wakes every waiting reader (on append, and when the server stops). */
  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export function transactionMarker(lsid: Document, txnNumber: number): ChangeEntry['transaction'] {
  return { lsid, txnNumber: Long.fromNumber(txnNumber) };
}

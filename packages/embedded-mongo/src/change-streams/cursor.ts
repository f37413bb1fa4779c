import type { Document } from 'bson';
import type { CursorBatch, ServerCursor } from '../cursors.js';
import type { Engine } from '../engine.js';
import { CommandError, ErrorCode, NON_RESUMABLE_CHANGE_STREAM_ERROR } from '../errors.js';
import { canonicalKey } from '../values/canonical.js';
import { restoreTypes, toView } from '../values/view.js';
import { comparePositions, EXPANDED_KINDS, resumeToken } from './change-log.js';
import type { ChangeEntry, LogPosition } from './change-log.js';
import { invalidateEvent, renderEvent } from './events.js';
import type { DocumentLookup, EventOptions } from './events.js';

/** What a change stream watches: one collection, one database, or (db undefined) the whole deployment. */
export interface ChangeStreamScope {
  readonly db: string | undefined;
  readonly coll: string | undefined;
}

/** How long an idle getMore waits for events when the driver sends no maxTimeMS (maxAwaitTimeMS). */
const DEFAULT_AWAIT_MS = 1000;

const INTERNAL_DATABASES = new Set(['admin', 'config', 'local']);

/**
 * A tailable cursor over the change log. It remembers the position it has read up to; an idle
 * getMore waits for the next append (or maxTimeMS) instead of polling.
 */
export class ChangeStreamCursor implements ServerCursor {
  readonly namespace: string;
  private readonly engine: Engine;
  private readonly scope: ChangeStreamScope;
  private readonly options: EventOptions;
  private readonly pipeline: (views: Document[]) => Document[];
  /** Refuses, before rendering, an entry the pipeline's first $match would drop (namespace-filter.ts). */
  private readonly kept: (entry: ChangeEntry) => boolean;
  private position: LogPosition;
  private finished = false;

  constructor(
    engine: Engine,
    scope: ChangeStreamScope,
    options: EventOptions,
    pipeline: (views: Document[]) => Document[],
    start: LogPosition,
    kept: (entry: ChangeEntry) => boolean = () => true,
  ) {
    this.engine = engine;
    this.scope = scope;
    this.options = options;
    this.pipeline = pipeline;
    this.kept = kept;
    this.position = start;
    this.namespace = scope.coll !== undefined ? `${scope.db}.${scope.coll}` : `${scope.db ?? 'admin'}.$cmd.aggregate`;
    engine.changes.indexAfter(start);
  }

  async next(batchSize: number | undefined, maxTimeMS: number | undefined, signal: AbortSignal): Promise<CursorBatch> {
    const deadline = Date.now() + (maxTimeMS ?? DEFAULT_AWAIT_MS);
    for (;;) {
      const batch = this.collect(batchSize);
      const remaining = deadline - Date.now();
      if (batch.documents.length > 0 || batch.exhausted || signal.aborted || remaining <= 0) return batch;
      await this.engine.changes.waitForAppend(remaining, signal);
    }
  }

  close(): void {
    this.finished = true;
  }

  private collect(batchSize: number | undefined): CursorBatch {
    const log = this.engine.changes;
    const documents: Document[] = [];
    const limit = batchSize ?? Number.POSITIVE_INFINITY;
    let index = log.indexAfter(this.position);
    while (!this.finished && index < log.length && documents.length < limit) {
      const entry = log.at(index) as ChangeEntry;
      index += 1;
      this.position = entry.position;
      if (this.inScope(entry)) documents.push(...this.eventsFor(entry));
    }
    if (index >= log.length && !this.finished) {
      const highWaterMark = log.highWaterMark(this.engine.clock.current());
      if (comparePositions(highWaterMark, this.position) > 0) this.position = highWaterMark;
    }
    return { documents, exhausted: this.finished, postBatchResumeToken: resumeToken(this.position) };
  }

  private inScope(entry: ChangeEntry): boolean {
    const { db, coll } = this.scope;
    if (db === undefined) return !INTERNAL_DATABASES.has(entry.db) && entry.kind !== 'dropDatabase';
    if (entry.db !== db) return false;
    return coll === undefined || entry.coll === coll;
  }

  /** The stream's output for an entry: its event if the pipeline keeps it, then an invalidate when the watched namespace is gone. */
  private eventsFor(entry: ChangeEntry): Document[] {
    const shown = (this.options.showExpandedEvents || !EXPANDED_KINDS.has(entry.kind)) && this.kept(entry);
    const events = shown ? this.transform(renderEvent(entry, this.options, this.lookup)) : [];
    const invalidates =
      (this.scope.coll !== undefined && (entry.kind === 'drop' || entry.kind === 'rename')) ||
      (this.scope.coll === undefined && this.scope.db !== undefined && entry.kind === 'dropDatabase');
    if (invalidates) {
      this.finished = true;
      events.push(invalidateEvent(entry));
    }
    return events;
  }

  private transform(event: Document): Document[] {
    return this.pipeline([toView(event)]).map((output) => {
      const restored = restoreTypes(output);
      if (canonicalKey(restored._id) !== canonicalKey(event._id)) {
        throw new CommandError(
          ErrorCode.ChangeStreamFatalError,
          'Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible to resume the stream from that point. Only transformations that retain the unmodified _id field are allowed.',
          { labels: [NON_RESUMABLE_CHANGE_STREAM_ERROR] },
        );
      }
      return restored;
    });
  }

  private readonly lookup: DocumentLookup = (db, coll, id) =>
    this.engine.catalog.collection(db, coll)?.records.get(canonicalKey(id))?.doc ?? null;
}

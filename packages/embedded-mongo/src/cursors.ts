import { calculateObjectSize, Long } from 'bson';
import type { Document } from 'bson';
import { CommandError, ErrorCode } from './errors.js';

/** One batch of a cursor; `exhausted` closes the cursor (id 0 in the reply). */
export interface CursorBatch {
  readonly documents: Document[];
  readonly exhausted: boolean;
  readonly postBatchResumeToken?: Document;
}

/** What a getMore needs from a cursor. */
export interface ServerCursor {
  readonly namespace: string;
  next(
    batchSize: number | undefined,
    maxTimeMS: number | undefined,
    signal: AbortSignal,
  ): CursorBatch | Promise<CursorBatch>;
  close(): void;
}

/** Batches stop growing at this many bytes (at least one document each), as on the server, so replies stay serializable. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

/** A cursor over a result computed up front (find, aggregate, list commands). */
export class ArrayCursor implements ServerCursor {
  readonly namespace: string;
  private readonly documents: Document[];
  private offset = 0;

  constructor(namespace: string, documents: Document[]) {
    this.namespace = namespace;
    this.documents = documents;
  }

  next(batchSize: number | undefined): CursorBatch {
    const end = Math.min(
      this.documents.length,
      batchSize === undefined ? Number.POSITIVE_INFINITY : this.offset + batchSize,
    );
    const documents: Document[] = [];
    let bytes = 0;
    for (let i = this.offset; i < end; i++) {
      const document = this.documents[i] as Document;
      bytes += calculateObjectSize(document);
      if (bytes > MAX_BATCH_BYTES && documents.length > 0) break;
      documents.push(document);
    }
    this.offset += documents.length;
    return { documents, exhausted: this.offset >= this.documents.length };
  }

  close(): void {
    this.offset = this.documents.length;
  }
}

/** Cursors left unused this long are closed, as mongod does (cursorTimeoutMillis), so abandoned results are freed. */
const CURSOR_TIMEOUT_MS = 10 * 60 * 1000;

/** Open cursors by id. Ids are positive int64s, as the driver reads them. */
export class CursorRegistry {
  private readonly cursors = new Map<string, { cursor: ServerCursor; lastUsed: number }>();
  private lastId = 0;

  open(cursor: ServerCursor): Long {
    this.closeIdle();
    this.lastId += 1;
    const id = Long.fromNumber(this.lastId);
    this.cursors.set(id.toString(), { cursor, lastUsed: Date.now() });
    return id;
  }

  get(id: Long): ServerCursor {
    const entry = this.cursors.get(id.toString());
    if (!entry) throw new CommandError(ErrorCode.CursorNotFound, `cursor id ${id.toString()} not found`);
    entry.lastUsed = Date.now();
    return entry.cursor;
  }

  /** Closes the cursor; false when no such cursor is open. */
  kill(id: Long): boolean {
    const key = id.toString();
    this.cursors.get(key)?.cursor.close();
    return this.cursors.delete(key);
  }

  closeAll(): void {
    for (const { cursor } of this.cursors.values()) cursor.close();
    this.cursors.clear();
  }

  private closeIdle(): void {
    const cutoff = Date.now() - CURSOR_TIMEOUT_MS;
    for (const [key, { cursor, lastUsed }] of this.cursors) {
      if (lastUsed < cutoff) {
        cursor.close();
        this.cursors.delete(key);
      }
    }
  }
}

/**
 * Serves a batch and builds the `cursor` reply field, registering the cursor while it has more to
 * give (firstBatch) or dropping it once exhausted (nextBatch).
 */
export async function serveBatch(
  registry: CursorRegistry,
  cursor: ServerCursor,
  options: {
    id?: Long;
    batchSize: number | undefined;
    maxTimeMS?: number | undefined;
    singleBatch?: boolean;
    signal: AbortSignal;
  },
): Promise<Document> {
  const batch = await cursor.next(options.batchSize, options.maxTimeMS, options.signal);
  const done = batch.exhausted || options.singleBatch === true;
  let id = Long.ZERO;
  if (options.id) {
    if (done) registry.kill(options.id);
    else id = options.id;
  } else if (!done) {
    id = registry.open(cursor);
  }
  const reply: Document = {
    [options.id ? 'nextBatch' : 'firstBatch']: batch.documents,
    id,
    ns: cursor.namespace,
  };
  if (batch.postBatchResumeToken) reply.postBatchResumeToken = batch.postBatchResumeToken;
  return { cursor: reply, ok: 1 };
}

import { MongoClient, type Document, type ResumeToken } from 'mongodb';
import { resumeTokenUnusable } from './resume-token.js';

/** The collections whose changes alter who a caller is or what they may do. */
export const IDENTITY_COLLECTIONS = ['memberships', 'users', 'apiKeys'] as const;

/**
 * A committed change to identity data, as this instance learns it from the change stream, whichever
 * instance committed it. A delete carries only the document's id (a change stream has nothing else
 * to give without pre-images), so `userId`, `tenantId` and `subject` are null when the document is
 * gone; consumers map the id back themselves (IdentityDirectory keeps membership id → user id).
 */
export type IdentityChange =
  | { kind: 'membership'; membershipId: string; userId: string | null; tenantId: string | null }
  | { kind: 'user'; userId: string; subject: string | null }
  | { kind: 'apiKey'; keyId: string }
  /** Changes may have been missed (the stream restarted without its resume token): forget everything. */
  | { kind: 'reset' };

export interface IdentityFeedOptions {
  /** Called with every error of the stream; it is reopened after a delay. Default: ignored. */
  onError?: (error: unknown) => void;
  /** First delay before reopening after an error, doubled on each failure up to 5 s. Default 100 ms. */
  retryDelayMs?: number;
}

export interface IdentityFeed {
  /** Closes the stream and its client; no change is delivered once it resolves. */
  stop(): Promise<void>;
}

const MAX_RETRY_DELAY_MS = 5000;

/**
 * Only what the consumers read leaves the server: never a key's secret hash. `_id` (the resume
 * token) must stay. Drops and invalidations are kept so that the feed can reset.
 */
const PIPELINE: Document[] = [
  {
    $match: {
      $or: [
        { 'ns.coll': { $in: [...IDENTITY_COLLECTIONS] } },
        { operationType: { $in: ['dropDatabase', 'invalidate'] } },
      ],
    },
  },
  {
    $project: {
      operationType: 1,
      ns: 1,
      documentKey: 1,
      'updateDescription.updatedFields': 1,
      'updateDescription.removedFields': 1,
      'fullDocument.userId': 1,
      'fullDocument.tenantId': 1,
      'fullDocument.subject': 1,
    },
  },
];

/** Fields whose change alters nothing a caller may do: written on use, not by an administrator. */
const BOOKKEEPING_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  apiKeys: new Set(['lastUsedAt']),
};

/** Thrown inside the loop when the stream was invalidated: reopen it without a token. */
class StreamInvalidated extends Error {}

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Opens ONE change stream per instance over the identity collections, on a client of its own (a
 * change stream holds a connection in a long-poll getMore: it must not take one from the request
 * pool, nor count in the per-request command metrics). Resolves once the stream is established on
 * the server, so every change committed after that is delivered. Resumes after errors from the last
 * token; when it cannot (history lost, invalidated), it reopens from now and reports `reset`.
 */
export async function watchIdentityChanges(
  target: { uri: string; dbName: string },
  onChange: (change: IdentityChange) => void,
  options: IdentityFeedOptions = {},
): Promise<IdentityFeed> {
  const client = new MongoClient(target.uri);
  await client.connect();
  const watcher = new IdentityWatcher(client, target.dbName, onChange, options);
  try {
    await watcher.start();
  } catch (error) {
    await client.close();
    throw error;
  }
  return { stop: () => watcher.stop() };
}

class IdentityWatcher {
  readonly #client: MongoClient;
  readonly #dbName: string;
  readonly #onChange: (change: IdentityChange) => void;
  readonly #onError: (error: unknown) => void;
  readonly #baseDelayMs: number;
  #token: ResumeToken | undefined;
  #stopped = false;
  #running: Promise<void> = Promise.resolve();
  #wake: (() => void) | null = null;

  constructor(
    client: MongoClient,
    dbName: string,
    onChange: (change: IdentityChange) => void,
    options: IdentityFeedOptions,
  ) {
    this.#client = client;
    this.#dbName = dbName;
    this.#onChange = onChange;
    this.#onError = options.onError ?? (() => {});
    this.#baseDelayMs = options.retryDelayMs ?? 100;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#running = this.#run(resolve, reject);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    // The client is the feed's own: closing it ends the stream and any getMore in flight.
    await this.#client.close();
    await this.#running;
  }

  async #run(established: () => void, failed: (error: unknown) => void): Promise<void> {
    let ready = false;
    let delayMs = this.#baseDelayMs;
    while (!this.#stopped) {
      const resuming = this.#token !== undefined;
      const stream = this.#client.db(this.#dbName).watch<Document, Document>(PIPELINE, {
        fullDocument: 'updateLookup',
        ...(resuming ? { resumeAfter: this.#token } : {}),
      });
      let opened = false;
      const onOpen = () => {
        if (opened) return;
        opened = true;
        delayMs = this.#baseDelayMs;
        // Reopened from "now" after having run: whatever happened in between is unknown.
        if (ready && !resuming) this.#deliver({ kind: 'reset' });
        ready = true;
        established();
      };
      // Emitted when the aggregate answers (its first batch of a new stream is always empty): from
      // then on the server records every change for this stream.
      stream.once('resumeTokenChanged', onOpen);
      try {
        for (;;) {
          const event = await stream.next();
          onOpen();
          this.#token = stream.resumeToken ?? this.#token;
          this.#handle(event);
        }
      } catch (error) {
        if (this.#stopped) break;
        // The latest position, even without events since (post-batch token): resuming from an old
        // event's token could fall out of the oplog after a quiet week, and force a reset.
        if (opened) this.#token = stream.resumeToken ?? this.#token;
        if (!ready) {
          failed(error);
          return;
        }
        if (error instanceof StreamInvalidated) {
          this.#token = undefined; // reopen from now at once: reported as `reset` when established
          continue;
        }
        if (resumeTokenUnusable(error)) this.#token = undefined;
        this.#onError(error);
        await this.#sleep(delayMs);
        delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
      } finally {
        stream.off('resumeTokenChanged', onOpen);
        await stream.close().catch(() => {});
      }
    }
  }

  #handle(event: Document): void {
    const operation: unknown = event.operationType;
    if (operation === 'invalidate' || operation === 'dropDatabase' || operation === 'drop' || operation === 'rename') {
      this.#deliver({ kind: 'reset' });
      if (operation === 'invalidate') throw new StreamInvalidated();
      return;
    }
    if (operation !== 'insert' && operation !== 'update' && operation !== 'replace' && operation !== 'delete') return;
    const change = toIdentityChange(event);
    if (change) this.#deliver(change);
  }

  #deliver(change: IdentityChange): void {
    try {
      this.#onChange(change);
    } catch (error) {
      this.#onError(error);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}

/** The change an insert, update, replace or delete of an identity document stands for, if any. */
export function toIdentityChange(event: Document): IdentityChange | null {
  const coll = stringOrNull((event.ns as Document | undefined)?.coll);
  const id = stringOrNull((event.documentKey as Document | undefined)?._id);
  if (coll === null || id === null) return null;
  if (event.operationType === 'update' && onlyBookkeeping(coll, event.updateDescription as Document | undefined))
    return null;
  // updateLookup reads the document when the event is read, not when it was written: null when it
  // has been deleted since (then a delete event follows), newer than this change when updated since.
  const doc = (event.fullDocument ?? null) as Document | null;
  switch (coll) {
    case 'memberships':
      return {
        kind: 'membership',
        membershipId: id,
        userId: stringOrNull(doc?.userId),
        tenantId: stringOrNull(doc?.tenantId),
      };
    case 'users':
      return { kind: 'user', userId: id, subject: stringOrNull(doc?.subject) };
    case 'apiKeys':
      return { kind: 'apiKey', keyId: id };
    default:
      return null;
  }
}

function onlyBookkeeping(coll: string, description: Document | undefined): boolean {
  const ignored = BOOKKEEPING_FIELDS[coll];
  if (!ignored || !description) return false;
  const updated = Object.keys((description.updatedFields as Document | undefined) ?? {});
  const removed = (description.removedFields as unknown[] | undefined) ?? [];
  return updated.length > 0 && removed.length === 0 && updated.every((field) => ignored.has(field));
}

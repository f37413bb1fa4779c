import type { Binary, Document, UUID } from 'bson';

/** The cluster time, wall-clock time and sequence number of a commit that advanced the clock. */
export interface RecordedTick {
  readonly t: number;
  readonly i: number;
  readonly wall: Date;
  readonly seq: number;
}

/** One change to the server's durable state, as journaled and replayed. */
export type RecordOp =
  | {
      readonly op: 'create';
      readonly db: string;
      readonly coll: string;
      readonly options: Document;
      readonly uuid: UUID;
    }
  | { readonly op: 'createIndex'; readonly db: string; readonly coll: string; readonly spec: Document }
  | { readonly op: 'dropIndex'; readonly db: string; readonly coll: string; readonly name: string }
  | { readonly op: 'drop'; readonly db: string; readonly coll: string }
  | { readonly op: 'dropDatabase'; readonly db: string }
  | {
      readonly op: 'rename';
      readonly db: string;
      readonly coll: string;
      readonly toDb: string;
      readonly toColl: string;
      readonly dropTarget: boolean;
    }
  | {
      readonly op: 'collMod';
      readonly db: string;
      readonly coll: string;
      readonly options: Document;
      readonly index: { readonly name: string; readonly options: Document } | undefined;
    }
  | {
      readonly op: 'insert' | 'update' | 'replace';
      readonly db: string;
      readonly coll: string;
      readonly doc: Document;
    }
  | {
      /** An insert journaled as the bytes the client sent: stored with its `_id` moved first. */
      readonly op: 'insert';
      readonly db: string;
      readonly coll: string;
      readonly received: Binary;
    }
  | { readonly op: 'delete'; readonly db: string; readonly coll: string; readonly id: unknown }
  /** A view defined or redefined: `options` as listCollections shows them (viewOn, pipeline, collation). */
  | { readonly op: 'defineView'; readonly db: string; readonly coll: string; readonly options: Document }
  | { readonly op: 'dropView'; readonly db: string; readonly coll: string };

/**
 * One commit: everything in it is applied together or not at all, at recovery as when it was made.
 * A transaction's commit is one record, its DDL included.
 */
export interface CommitRecord {
  readonly tick?: RecordedTick;
  readonly txn?: { readonly lsid: Document; readonly txnNumber: number };
  readonly ops: readonly RecordOp[];
}

/** A session's committed transaction: a commitTransaction retried for it succeeds again. */
export interface CommittedTransaction {
  readonly lsid: Document;
  readonly txnNumber: number;
}

/** A retryable write's outcome: its session and number, and the reply a retry of it gets. */
export interface RetryableWrite {
  readonly lsid: Document;
  readonly txnNumber: number;
  readonly reply: Document;
}

/**
 * Commits made by one command one after the other (its statements outside a transaction),
 * journaled as one record; for a retryable write, with its outcome, so that a retry after a restart
 * is answered rather than applied again.
 */
export interface CommitGroup {
  readonly commits: readonly CommitRecord[];
  readonly retryable?: RetryableWrite;
}

/** Where a commit's records go: the journal of a durable server (nowhere for an in-memory one). */
export interface CommitSink {
  append(record: CommitRecord | CommitGroup): void;
  /** Settles once every record appended so far is on disk; undefined when it already is. */
  durable(): Promise<void> | undefined;
}

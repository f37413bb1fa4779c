import type { CommittedTransaction, RetryableWrite } from './persistence/commit-record.js';
import type { Document } from 'bson';
import { CommandError, ErrorCode, TRANSIENT_TRANSACTION_ERROR } from './errors.js';
import type { Collection, StoredDocument } from './storage/collection.js';
import type { IndexTable } from './storage/index-table.js';
import { namespaceOf } from './storage/write-op.js';
import type { WriteOp } from './storage/write-op.js';
import { canonicalKey } from './values/canonical.js';
import { isPlainObject } from './values/kinds.js';
import { numericValue } from './values/view.js';

/** How long an idle transaction keeps its write locks (MongoDB's transactionLifetimeLimitSeconds). */
const TRANSACTION_LIFETIME_MS = 60_000;

export type TransactionState = 'active' | 'committed' | 'aborted';

/** The pending writes of a transaction in one collection: the final state of each written document. */
export interface PendingWrites {
  readonly db: string;
  readonly coll: string;
  readonly documents: Map<string, StoredDocument | null>;
  /**
   * The pending documents' entries in each unique index of the collection (by index name), built
   * when a write first checks it and kept in step, so that each write is checked against the
   * transaction's earlier ones with one lookup instead of a comparison with each of them.
   */
  readonly uniqueEntries: Map<string, IndexTable>;
}

export class Session {
  readonly lsid: Document;
  /** The highest txnNumber seen on the session (transactions and retryable writes share the sequence). */
  txnNumber = -1;
  transaction: Transaction | undefined;
  /** The reply to the latest retryable write, returned again when the driver retries it. */
  lastRetryableWrite: { txnNumber: number; reply: Document } | undefined;
  /** When a command last used the session. */
  lastUse = new Date();

  constructor(lsid: Document) {
    this.lsid = lsid;
  }
}

/**
 * A multi-document transaction. It reads the committed state as of its start (its snapshot) plus
 * its own writes, which stay private (read back through {@link pendingIn}) until commit, as do the
 * collections it creates; conflicts are detected when writing, against its snapshot.
 */
export class Transaction {
  readonly session: Session;
  readonly txnNumber: number;
  /** The commit sequence number when the transaction started: it sees the commits up to it. */
  readonly snapshot: number;
  state: TransactionState = 'active';
  readonly ops: WriteOp[] = [];
  /** Collections created inside the transaction (with their indexes), by namespace: not in the catalog until commit. */
  readonly createdCollections = new Map<string, Collection>();
  private readonly pending = new Map<string, PendingWrites>();
  private lastActivity = Date.now();

  constructor(session: Session, txnNumber: number, snapshot: number) {
    this.session = session;
    this.txnNumber = txnNumber;
    this.snapshot = snapshot;
  }

  pendingIn(db: string, coll: string): PendingWrites | undefined {
    return this.pending.get(namespaceOf(db, coll));
  }

  allPending(): Iterable<PendingWrites> {
    return this.pending.values();
  }

  record(op: WriteOp): void {
    const namespace = namespaceOf(op.db, op.coll);
    let writes = this.pending.get(namespace);
    if (!writes) {
      writes = { db: op.db, coll: op.coll, documents: new Map(), uniqueEntries: new Map() };
      this.pending.set(namespace, writes);
    }
    const id = (op.after ?? op.before)?.id as string;
    const previous = writes.documents.get(id);
    for (const table of writes.uniqueEntries.values()) {
      if (previous) table.remove(previous.id, previous.doc, previous.view);
      if (op.after) table.add(op.after.id, op.after.doc, op.after.view);
    }
    writes.documents.set(id, op.after);
    this.ops.push(op);
  }

  touch(): void {
    this.lastActivity = Date.now();
  }

  get expired(): boolean {
    return Date.now() - this.lastActivity > TRANSACTION_LIFETIME_MS;
  }
}

/** How a command relates to sessions: its session, its transaction, or the txnNumber of a retryable write. */
export interface CommandSession {
  readonly session?: Session;
  readonly transaction?: Transaction;
  readonly retryableTxnNumber?: number;
}

export function noSuchTransaction(txnNumber: number): CommandError {
  return new CommandError(
    ErrorCode.NoSuchTransaction,
    `Transaction with { txnNumber: ${txnNumber} } has been aborted.`,
    {
      labels: [TRANSIENT_TRANSACTION_ERROR],
    },
  );
}

/** Sessions by lsid, and the document write locks held by live transactions. */
export class TransactionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly locks = new Map<string, Transaction>();
  private readonly active = new Set<Transaction>();
  /** Called after a transaction ends, so that versions no snapshot needs any more can be dropped. */
  private readonly onFinish: () => void;

  constructor(onFinish: () => void = () => {}) {
    this.onFinish = onFinish;
  }

  /** Whether a transaction is running: committed writes then keep the versions they replace. */
  get anyActive(): boolean {
    return this.active.size > 0;
  }

  /** Whether a transaction other than this one is running. */
  othersActive(transaction: Transaction): boolean {
    return this.active.size > (this.active.has(transaction) ? 1 : 0);
  }

  /** The snapshot of the oldest running transaction (an expired one no longer counts); undefined when none runs. */
  oldestSnapshot(): number | undefined {
    let oldest: number | undefined;
    for (const transaction of this.active) {
      if (!transaction.expired && (oldest === undefined || transaction.snapshot < oldest))
        oldest = transaction.snapshot;
    }
    return oldest;
  }

  /** Resolves the session fields of a command (lsid, txnNumber, autocommit, startTransaction). */
  forCommand(command: Document, commandName: string, snapshot: number): CommandSession {
    if (!isPlainObject(command.lsid)) return {};
    const session = this.session(command.lsid);
    session.lastUse = new Date();
    const txnNumber = command.txnNumber === undefined ? undefined : numericValue(command.txnNumber);
    if (txnNumber === undefined) return { session };
    if (command.autocommit !== false) {
      if (txnNumber > session.txnNumber) this.startNumber(session, txnNumber);
      return { session, retryableTxnNumber: txnNumber };
    }
    if (command.startTransaction === true) return { session, transaction: this.begin(session, txnNumber, snapshot) };
    const transaction = session.transaction;
    if (!transaction || transaction.txnNumber !== txnNumber) throw noSuchTransaction(txnNumber);
    const finishing = commandName === 'commitTransaction' || commandName === 'abortTransaction';
    if (!finishing && transaction.state === 'committed') {
      throw new CommandError(
        ErrorCode.TransactionCommitted,
        `Transaction with { txnNumber: ${txnNumber} } has been committed.`,
      );
    }
    if (!finishing && transaction.state === 'aborted') throw noSuchTransaction(txnNumber);
    if (transaction.state === 'active' && transaction.expired) {
      // Idle past its lifetime: the versions its snapshot needs may be gone.
      this.finish(transaction, 'aborted');
      throw noSuchTransaction(txnNumber);
    }
    transaction.touch();
    return { session, transaction };
  }

  /** The sessions commands have used (and not ended), for $listLocalSessions. */
  localSessions(): Session[] {
    return [...this.sessions.values()];
  }

  /** The transaction each session committed last, when nothing newer ran on it, for a snapshot. */
  committedTransactions(): CommittedTransaction[] {
    const committed: CommittedTransaction[] = [];
    for (const session of this.sessions.values()) {
      const { transaction } = session;
      if (transaction?.state === 'committed' && transaction.txnNumber === session.txnNumber)
        committed.push({ lsid: session.lsid, txnNumber: transaction.txnNumber });
    }
    return committed;
  }

  /** A journaled transaction commit (at start-up): a retry of its commitTransaction succeeds. */
  rememberCommittedTransaction(committed: CommittedTransaction): void {
    const session = this.session(committed.lsid);
    if (committed.txnNumber < session.txnNumber) return;
    session.txnNumber = committed.txnNumber;
    const transaction = new Transaction(session, committed.txnNumber, 0);
    transaction.state = 'committed';
    session.transaction = transaction;
  }

  /** The latest retryable write of every session that made one, for a snapshot. */
  retryableWrites(): RetryableWrite[] {
    const writes: RetryableWrite[] = [];
    for (const session of this.sessions.values()) {
      const latest = session.lastRetryableWrite;
      if (latest) writes.push({ lsid: session.lsid, txnNumber: latest.txnNumber, reply: latest.reply });
    }
    return writes;
  }

  /** A retryable write's outcome (as made, or journaled at start-up): a retry of it gets its reply. */
  rememberRetryableWrite(write: RetryableWrite): void {
    const session = this.session(write.lsid);
    if (write.txnNumber < session.txnNumber) return;
    session.txnNumber = write.txnNumber;
    session.lastRetryableWrite = { txnNumber: write.txnNumber, reply: write.reply };
  }

  private session(lsid: Document): Session {
    const key = canonicalKey(lsid.id);
    let session = this.sessions.get(key);
    if (!session) {
      session = new Session(lsid);
      this.sessions.set(key, session);
    }
    return session;
  }

  private begin(session: Session, txnNumber: number, snapshot: number): Transaction {
    if (txnNumber < session.txnNumber) {
      throw new CommandError(
        ErrorCode.TransactionTooOld,
        `Cannot start transaction ${txnNumber} on session because a newer transaction ${session.txnNumber} has already started.`,
      );
    }
    if (txnNumber === session.txnNumber) {
      throw new CommandError(
        ErrorCode.ConflictingOperationInProgress,
        `Transaction ${txnNumber} has already been started on this session.`,
      );
    }
    this.startNumber(session, txnNumber);
    const transaction = new Transaction(session, txnNumber, snapshot);
    session.transaction = transaction;
    this.active.add(transaction);
    return transaction;
  }

  /** A newer txnNumber on a session ends whatever transaction it was running. */
  private startNumber(session: Session, txnNumber: number): void {
    if (session.transaction?.state === 'active') this.finish(session.transaction, 'aborted');
    session.transaction = undefined;
    session.txnNumber = txnNumber;
  }

  /** The live transaction holding the write lock on a document, if any; expired holders are aborted. */
  lockHolder(db: string, coll: string, id: string): Transaction | undefined {
    const holder = this.locks.get(lockKey(db, coll, id));
    if (holder?.expired) {
      this.finish(holder, 'aborted');
      return undefined;
    }
    return holder;
  }

  lock(transaction: Transaction, db: string, coll: string, id: string): void {
    this.locks.set(lockKey(db, coll, id), transaction);
  }

  /** Ends a transaction, releasing its locks. */
  finish(transaction: Transaction, state: 'committed' | 'aborted'): void {
    transaction.state = state;
    for (const writes of transaction.allPending()) {
      for (const id of writes.documents.keys()) {
        const key = lockKey(writes.db, writes.coll, id);
        if (this.locks.get(key) === transaction) this.locks.delete(key);
      }
    }
    if (this.active.delete(transaction)) this.onFinish();
  }

  endSessions(lsids: readonly unknown[]): void {
    for (const lsid of lsids) {
      if (!isPlainObject(lsid)) continue;
      const key = canonicalKey(lsid.id);
      const transaction = this.sessions.get(key)?.transaction;
      if (transaction?.state === 'active') this.finish(transaction, 'aborted');
      this.sessions.delete(key);
    }
  }
}

function lockKey(db: string, coll: string, id: string): string {
  return `${namespaceOf(db, coll)}\0${id}`;
}

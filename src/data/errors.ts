import {
  MongoClientClosedError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { TransactionDeadlineError } from './transactions.js';

/**
 * A query, update or pipeline this layer refuses because it could reach beyond its scope (another
 * tenant's documents, server-side JavaScript, a protected field). It is a programming error, not a
 * user error: it is a plain Error on purpose, so it surfaces as INTERNAL_SERVER_ERROR and gets fixed.
 */
export class UnsafeQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeQueryError';
  }
}

/**
 * True for a unique-index violation, so a module can map a duplicate to BAD_USER_INPUT without
 * importing the driver. Duck-typed on the server's code, which both single writes and bulk writes carry.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

/**
 * True for a write that met a document written by a transaction still running: MongoDB answers a
 * transaction's write so (and a retry of the whole transaction follows); the embedded server also
 * answers a write outside a transaction so, where MongoDB makes it wait for the transaction to end.
 */
export function isWriteConflict(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 112;
}

/**
 * Server codes of a deployment that is electing, stepping down or shutting down, or of an operation
 * that ran out of its time: the request may succeed if retried later, nothing is wrong with it.
 */
const UNAVAILABLE_SERVER_CODES: ReadonlySet<number> = new Set([
  50, // MaxTimeMSExpired
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/**
 * Socket errors the driver lets through unwrapped: writing a command on a connection the server has
 * just closed fails with Node's own EPIPE ("This socket has been ended by the other party"), not a
 * MongoNetworkError. Only the data layer's sockets reach here: resolvers talk to nothing else.
 */
const SOCKET_ERROR_CODES: ReadonlySet<unknown> = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * True when the database did not answer in time or could not be reached (no server selected within
 * the timeout, the connection lost or silent, a transaction still failing on transient errors when
 * its time was up, the client closed by a shutdown): the caller gets SERVICE_UNAVAILABLE and may
 * retry, rather than an internal error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof TransactionDeadlineError) return true;
  if (error instanceof Error && SOCKET_ERROR_CODES.has((error as NodeJS.ErrnoException).code)) return true;
  if (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoOperationTimeoutError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoClientClosedError
  ) {
    return true;
  }
  return (
    error instanceof MongoServerError && typeof error.code === 'number' && UNAVAILABLE_SERVER_CODES.has(error.code)
  );
}

/**
 * True for a failure that says nothing about the work itself and may pass if the work is tried again
 * later: a transaction that kept meeting write conflicts or an unreachable database until its deadline
 * (for example while a crashed instance's unfinished transaction still holds the same documents, until
 * the server aborts it), or an error the driver labels transient. Duck-typed, like isDuplicateKeyError.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { name?: unknown }).name === 'TransactionDeadlineError') return true;
  const labelled = (error as { hasErrorLabel?: unknown }).hasErrorLabel;
  return (
    typeof labelled === 'function' &&
    ['TransientTransactionError', 'RetryableWriteError', 'UnknownTransactionCommitResult'].some((label) =>
      labelled.call(error, label),
    )
  );
}

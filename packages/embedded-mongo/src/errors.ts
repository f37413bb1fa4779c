import type { Document } from 'bson';

/** The real MongoDB server error codes this server answers with (see mongo/base/error_codes.yml). */
export const ErrorCode = {
  InternalError: 1,
  BadValue: 2,
  GraphContainsCycle: 5,
  HostUnreachable: 6,
  HostNotFound: 7,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NoMatchingDocument: 47,
  NamespaceExists: 48,
  DollarPrefixedFieldName: 52,
  StaleShardVersion: 63,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  NetworkTimeout: 89,
  ShutdownInProgress: 91,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  WriteConflict: 112,
  ConflictingOperationInProgress: 117,
  ViewDepthLimitExceeded: 149,
  IncompatibleCollationVersion: 161,
  CommandNotSupportedOnView: 166,
  OptionNotSupportedOnView: 167,
  CommandNotSupported: 115,
  DocumentValidationFailure: 121,
  InvalidPipelineOperator: 168,
  PrimarySteppedDown: 189,
  TransactionTooOld: 225,
  NoSuchTransaction: 251,
  ExceededTimeLimit: 262,
  TransactionCommitted: 256,
  OperationNotSupportedInTransaction: 263,
  ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286,
  SocketException: 9001,
  NotWritablePrimary: 10107,
  DuplicateKey: 11000,
  InterruptedAtShutdown: 11600,
  InterruptedDueToReplStateChange: 11602,
  MergeStageNoMatchingDocument: 13113,
  NotPrimaryNoSecondaryOk: 13435,
  NotPrimaryOrSecondary: 13436,
  UnrecognizedPipelineStage: 40324,
  OutputStageNotLast: 40601,
  IDLFailedToParse: 40414,
  IDLUnknownField: 40415,
  ChangeStreamNotFirstStage: 40602,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes without a symbolic name in the server are reported as `Location<code>`. */
const LOCATION_CODES: ReadonlySet<number> = new Set([
  ErrorCode.MergeStageNoMatchingDocument,
  ErrorCode.IDLFailedToParse,
  ErrorCode.IDLUnknownField,
  ErrorCode.UnrecognizedPipelineStage,
  ErrorCode.OutputStageNotLast,
  ErrorCode.ChangeStreamNotFirstStage,
]);

const CODE_NAMES = new Map<number, string>(
  Object.entries(ErrorCode).map(([name, code]) => [code, LOCATION_CODES.has(code) ? `Location${code}` : name]),
);

export const TRANSIENT_TRANSACTION_ERROR = 'TransientTransactionError';
/** The label that tells drivers not to resume a change stream after this error. */
export const NON_RESUMABLE_CHANGE_STREAM_ERROR = 'NonResumableChangeStreamError';
/** The label that tells drivers to resume a change stream after this error. */
export const RESUMABLE_CHANGE_STREAM_ERROR = 'ResumableChangeStreamError';

/** An error reported to the client as a MongoDB command failure (`ok: 0`) or a write error. */
export class CommandError extends Error {
  /** One of {@link ErrorCode}, or any code a fail point was told to answer with. */
  readonly code: number;
  readonly errorLabels: string[];
  /** Extra fields of the reply, e.g. keyPattern/keyValue of a duplicate key error. */
  readonly details: Document;

  constructor(code: number, message: string, options: { labels?: string[]; details?: Document } = {}) {
    super(message);
    this.code = code;
    this.errorLabels = options.labels ?? [];
    this.details = options.details ?? {};
  }

  get codeName(): string {
    return CODE_NAMES.get(this.code) ?? `Location${this.code}`;
  }

  /** The document of a failed command reply (without the cluster time fields). */
  toReply(): Document {
    const reply: Document = { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.details };
    if (this.errorLabels.length > 0) reply.errorLabels = this.errorLabels;
    return reply;
  }

  /** The entry of a write command's `writeErrors` array. */
  toWriteError(index: number): Document {
    return { index, code: this.code, codeName: this.codeName, errmsg: this.message, ...this.details };
  }
}

export function writeConflict(): CommandError {
  return new CommandError(
    ErrorCode.WriteConflict,
    'Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.',
    { labels: [TRANSIENT_TRANSACTION_ERROR] },
  );
}

export function commandNotFound(name: string): CommandError {
  return new CommandError(ErrorCode.CommandNotFound, `no such command: '${name}'`);
}

/** Any failure as a CommandError: unexpected exceptions become InternalError rather than a dropped connection. */
export function asCommandError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CommandError(ErrorCode.InternalError, message);
}

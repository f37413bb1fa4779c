import { GraphQLError } from 'graphql';
import { isDatabaseUnavailable } from './data/errors.js';
import { stripSuggestions } from './limits/hide-suggestions.js';

/**
 * The error codes of the public contract, the only place they are listed. Each comes with the HTTP
 * status of a request it stops before anything executes, and the WebSocket close code of a connection
 * it ends. A connection refused for the caller's reasons is closed with 4403 (graphql-ws's Forbidden,
 * the contract's); one the server could not serve with 1013 (try again later) or 1011 (unexpected
 * condition). An error of one operation (RATE_LIMITED over a subscription limit, say) ends nothing.
 */
const CONTRACT_CODES = {
  UNAUTHENTICATED: { status: 401, closeCode: 4403 },
  FORBIDDEN: { status: 403, closeCode: 4403 },
  TENANT_SUSPENDED: { status: 403, closeCode: 4403 },
  NOT_FOUND: { status: 404, closeCode: 4403 },
  BAD_USER_INPUT: { status: 400, closeCode: 4403 },
  RATE_LIMITED: { status: 429, closeCode: 4403 },
  // 200, as Apollo answers an unknown hash, so that APQ clients send the document next.
  PERSISTED_QUERY_NOT_FOUND: { status: 200, closeCode: 4403 },
  PERSISTED_QUERY_REQUIRED: { status: 400, closeCode: 4403 },
  SERVICE_UNAVAILABLE: { status: 503, closeCode: 1013 },
  INTERNAL_SERVER_ERROR: { status: 500, closeCode: 1011 },
} as const satisfies Record<string, { status: number; closeCode: number }>;

export type ErrorCode = keyof typeof CONTRACT_CODES;

export const ErrorCode = Object.fromEntries(Object.keys(CONTRACT_CODES).map((code) => [code, code])) as {
  readonly [Code in ErrorCode]: Code;
};

export const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.hasOwn(CONTRACT_CODES, code);

/** An error this service raised on purpose: its message and code are safe to show to the caller. */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.code = code;
    this.name = 'AppError';
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError && isErrorCode(error.code);
}

export const unauthenticated = (message = 'Authentication required') =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);

export const forbidden = (message = 'Not allowed') => new AppError(ErrorCode.FORBIDDEN, message);

export const tenantSuspended = (message = 'This tenant is suspended') =>
  new AppError(ErrorCode.TENANT_SUSPENDED, message);

export const notFound = (what = 'Object') => new AppError(ErrorCode.NOT_FOUND, `${what} not found`);

/** Bad input naming the offending field, e.g. `badUserInput('input.capacity', 'must be ≥ 0')`. */
export const badUserInput = (field: string, problem: string) =>
  new AppError(ErrorCode.BAD_USER_INPUT, `${field} ${problem}`, { field });

/** The database did not answer in time; the thing that failed is kept as `cause`, for the log only. */
export const serviceUnavailable = (cause?: unknown) => {
  const error = new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'Service unavailable: the database did not answer');
  if (cause !== undefined) error.cause = cause;
  return error;
};

/** Something nobody meant: the caller learns nothing of it; what failed is kept as `cause` for the log. */
export const internalError = (cause?: unknown) => {
  const error = new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
  if (cause !== undefined) error.cause = cause;
  return error;
};

/** Apollo's own request-level codes (ApolloServerErrorCode): all mean the request itself was wrong. */
const REQUEST_ERROR_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * The error a resolver, a plugin or a library threw, out of graphql-js's and Apollo's wrappers. A
 * wrapper without a path around another GraphQL error is a complaint about the request (a variable
 * that does not coerce, with the scalar's reason inside): it is kept whole, its message says where.
 */
function unwrap(error: unknown): unknown {
  let current = error;
  while (
    current instanceof GraphQLError &&
    !(current instanceof AppError) &&
    current.originalError &&
    (current.path !== undefined || !(current.originalError instanceof GraphQLError))
  ) {
    current = current.originalError;
  }
  return current;
}

/**
 * A GraphQL error made by graphql-js or Apollo about the request itself (it does not parse, does
 * not validate, its variables do not coerce, its body is not a GraphQL request): no resolver threw it,
 * and it has no `path` (an error with one, like a null in a non-null field, is the server's).
 */
function isRequestError(error: GraphQLError): boolean {
  const code = error.extensions.code;
  if (typeof code === 'string') return REQUEST_ERROR_CODES.has(code);
  return error.path === undefined;
}

/**
 * What the caller is told of any error, whatever threw it: our AppErrors as they are; a database that
 * did not answer as SERVICE_UNAVAILABLE (also when a layer above masked it as an internal error);
 * graphql-js's and Apollo's complaints about the request as BAD_USER_INPUT; everything else (jose,
 * the driver, a bug) as INTERNAL_SERVER_ERROR without its message, kept as `cause` for the log.
 */
export function toClientError(thrown: unknown): AppError {
  const error = unwrap(thrown);
  if (isAppError(error)) {
    if (error.code === ErrorCode.INTERNAL_SERVER_ERROR && isDatabaseUnavailable(error.cause)) {
      return serviceUnavailable(error.cause);
    }
    return error;
  }
  if (isDatabaseUnavailable(error)) return serviceUnavailable(error);
  if (error instanceof GraphQLError) {
    const code = error.extensions.code;
    if (code === ErrorCode.PERSISTED_QUERY_NOT_FOUND) return new AppError(code, error.message, error.extensions);
    if (isRequestError(error)) return new AppError(ErrorCode.BAD_USER_INPUT, stripSuggestions(error.message));
  }
  return internalError(error);
}

/** The HTTP status of a request that this code stopped before anything executed. */
export const httpStatusOf = (code: ErrorCode): number => CONTRACT_CODES[code].status;

/** The WebSocket close code of a connection this error ends. */
export const closeCodeOf = (error: unknown): number => CONTRACT_CODES[toClientError(error).code].closeCode;

/**
 * The same error marked with the HTTP status of its code (and these headers) for Apollo, which answers
 * a request refused before execution with it.
 */
export function withHttpStatus(error: AppError, headers: Record<string, string> = {}): AppError {
  const marked = new AppError(error.code, error.message, {
    ...error.extensions,
    http: { status: httpStatusOf(error.code), headers: new Map(Object.entries(headers)) },
  });
  if (error.cause !== undefined) marked.cause = error.cause;
  return marked;
}

/**
 * The client's error of anything thrown before execution, marked with its HTTP status unless it
 * already carries one (a RATE_LIMITED with its Retry-After, say).
 */
export function refusal(thrown: unknown): AppError {
  const error = toClientError(thrown);
  return error.extensions.http ? error : withHttpStatus(error);
}

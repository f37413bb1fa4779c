import { GraphQLError } from 'graphql';

/** The error codes of the public contract (CONTRACT.md section 2). Every GraphQL error carries one. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  TENANT_SUSPENDED: 'TENANT_SUSPENDED',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  PERSISTED_QUERY_REQUIRED: 'PERSISTED_QUERY_REQUIRED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

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
  return error instanceof AppError && CODES.has(error.code);
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

/**
 * The same error, marked with the HTTP status to answer when it stops a request before execution
 * (refused credentials: 401; a tenant the caller may not act in: 403).
 */
export function withHttpStatus(error: AppError): AppError {
  const status =
    error.code === ErrorCode.UNAUTHENTICATED
      ? 401
      : error.code === ErrorCode.FORBIDDEN || error.code === ErrorCode.TENANT_SUSPENDED
        ? 403
        : 400;
  return new AppError(error.code, error.message, { ...error.extensions, http: { status } });
}

export const internalError = () => new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');

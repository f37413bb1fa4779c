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

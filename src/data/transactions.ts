import type { ClientSession, MongoClient, TransactionOptions } from 'mongodb';

/**
 * Snapshot reads so the transaction sees one consistent state; majority writes so a committed change
 * (and the event written with it) survives a failover and is what change streams deliver.
 */
export const TRANSACTION_OPTIONS: TransactionOptions = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
};

/**
 * A transaction that kept failing on transient errors (the database unreachable, typically) for
 * longer than the client's timeout. Not a driver error, so that the driver's retry loop stops on it.
 */
export class TransactionDeadlineError extends Error {
  constructor(cause: unknown) {
    super('transaction retries exhausted the database timeout', { cause });
    this.name = 'TransactionDeadlineError';
  }
}

/**
 * Runs fn in a transaction, or inside the current one when there is already a session, so code that
 * opens a transaction composes with a caller that has opened one. The driver retries fn on transient
 * errors: fn may run more than once and must keep side effects outside the database to itself.
 *
 * The driver would retry for 120 s; a request must fail within the client's timeout (MONGODB_TIMEOUT_MS,
 * set as its serverSelectionTimeoutMS by database.ts), so no attempt starts after it. A commit whose
 * outcome is unknown is still retried by the driver alone (it must not be given up on blindly).
 */
export async function runInTransaction<T>(
  client: MongoClient,
  current: ClientSession | undefined,
  fn: (session: ClientSession) => Promise<T>,
): Promise<T> {
  if (current !== undefined) return fn(current);
  const deadline = performance.now() + client.options.serverSelectionTimeoutMS;
  let lastError: unknown;
  const attempt = async (session: ClientSession) => {
    if (lastError !== undefined && performance.now() >= deadline) throw new TransactionDeadlineError(lastError);
    try {
      return await fn(session);
    } catch (error) {
      lastError = error;
      throw error;
    }
  };
  return client.withSession((session) => session.withTransaction(attempt, TRANSACTION_OPTIONS));
}

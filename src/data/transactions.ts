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
 * Runs fn in a transaction, or inside the current one when there is already a session, so code that
 * opens a transaction composes with a caller that has opened one. The driver retries fn on transient
 * errors: fn may run more than once and must keep side effects outside the database to itself.
 */
export async function runInTransaction<T>(
  client: MongoClient,
  current: ClientSession | undefined,
  fn: (session: ClientSession) => Promise<T>,
): Promise<T> {
  if (current !== undefined) return fn(current);
  return client.withSession((session) => session.withTransaction(() => fn(session), TRANSACTION_OPTIONS));
}

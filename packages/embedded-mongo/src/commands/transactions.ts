import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { noSuchTransaction } from '../transactions.js';
import type { Transaction } from '../transactions.js';
import type { CommandContext, CommandTable } from './context.js';

/** Sessions resolve the transaction from lsid/txnNumber/autocommit; a bare commit or abort names none. */
function requireTransaction(context: CommandContext): Transaction {
  if (!context.transaction) {
    throw new CommandError(
      ErrorCode.NoSuchTransaction,
      'Given transaction number does not match any in-progress transactions.',
    );
  }
  return context.transaction;
}

/** Committing again (the driver retries commits) succeeds once the transaction has committed. */
function commitTransaction(_command: Document, context: CommandContext): Document {
  const transaction = requireTransaction(context);
  if (transaction.state === 'aborted') throw noSuchTransaction(transaction.txnNumber);
  if (transaction.state === 'active') context.engine.commitTransaction(transaction);
  return { ok: 1 };
}

function abortTransaction(_command: Document, context: CommandContext): Document {
  const transaction = requireTransaction(context);
  if (transaction.state === 'committed') {
    throw new CommandError(
      ErrorCode.TransactionCommitted,
      `Transaction with { txnNumber: ${transaction.txnNumber} } has been committed.`,
    );
  }
  if (transaction.state === 'aborted') throw noSuchTransaction(transaction.txnNumber);
  context.engine.transactions.finish(transaction, 'aborted');
  return { ok: 1 };
}

export const transactionCommands: CommandTable = {
  commitTransaction,
  abortTransaction,
};

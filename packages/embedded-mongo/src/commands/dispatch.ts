import type { Document } from 'bson';
import { DataAccess } from '../data-access.js';
import type { Engine } from '../engine.js';
import { asCommandError, CommandError, commandNotFound, ErrorCode } from '../errors.js';
import type { CommandSession } from '../transactions.js';
import { setTimeout as delay } from 'node:timers/promises';
import { injectedError } from '../fail-points.js';
import type { InjectedFault } from '../fail-points.js';
import { aggregateCommands } from './aggregate.js';
import type { CommandTable, ConnectionInfo } from './context.js';
import { failPointCommands } from './fail-point.js';
import { findAndModifyCommands } from './find-and-modify.js';
import { evaluateVariables } from '../query/mingo.js';
import { isPlainObject } from '../values/kinds.js';
import { toView } from '../values/view.js';
import { handshakeCommands, topologyVersion } from './handshake.js';
import { indexCommands } from './indexes.js';
import { namespaceCommands } from './namespaces.js';
import { readCommands } from './reads.js';
import { transactionCommands } from './transactions.js';
import { writeCommands } from './writes.js';

const COMMANDS: CommandTable = {
  ...handshakeCommands,
  ...namespaceCommands,
  ...indexCommands,
  ...writeCommands,
  ...findAndModifyCommands,
  ...readCommands,
  ...aggregateCommands,
  ...transactionCommands,
  ...failPointCommands,
};

/** What MongoDB accepts inside a multi-document transaction; anything else there is refused. */
const TRANSACTION_COMMANDS: ReadonlySet<string> = new Set([
  'find',
  'getMore',
  'killCursors',
  'aggregate',
  'distinct',
  'insert',
  'update',
  'delete',
  'findAndModify',
  'findandmodify',
  'create',
  'createIndexes',
  'commitTransaction',
  'abortTransaction',
  'hello',
  'isMaster',
  'ismaster',
  'buildInfo',
  'buildinfo',
  'connectionStatus',
]);

function notInTransaction(name: string): CommandError {
  return new CommandError(
    ErrorCode.OperationNotSupportedInTransaction,
    `Cannot run '${name}' in a multi-document transaction.`,
  );
}

/** Commands ending a transaction settle its state themselves; any other failure inside one aborts it, as on the server. */
const TRANSACTION_OUTCOME_COMMANDS = new Set(['commitTransaction', 'abortTransaction']);

/** Runs one command and returns its reply; failures become `ok: 0` replies, never exceptions. */
export async function runCommand(
  engine: Engine,
  command: Document,
  db: string,
  connection: ConnectionInfo,
): Promise<Document> {
  const name = Object.keys(command)[0] ?? '';
  let session: CommandSession = {};
  try {
    const handler = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!handler) throw commandNotFound(name);
    session = engine.transactions.forCommand(command, name, engine.clock.sequence);
    const retried = session.session?.lastRetryableWrite;
    if (session.retryableTxnNumber !== undefined && retried?.txnNumber === session.retryableTxnNumber) {
      await engine.durable();
      return { ...retried.reply, ...engine.replyTimes() };
    }
    const { transaction } = session;
    if (transaction && !TRANSACTION_COMMANDS.has(name)) throw notInTransaction(name);
    const fault = engine.failPoints.take(name, connection.appName);
    if (fault)
      await injectFault(
        fault,
        connection,
        injectedError(fault, isRetryableWrite(name, session), topologyVersion(engine)),
      );
    const variables = isPlainObject(command.let) ? evaluateVariables(toView(command.let)) : undefined;
    const data = new DataAccess(engine, transaction, variables);
    const run = () => handler(command, { engine, db, data, session: session.session, transaction, connection });
    const { retryableTxnNumber } = session;
    const lsid = session.session?.lsid;
    // A retryable write's outcome is journaled with its commits: a retry after a restart is answered, not applied again.
    const reply = await (lsid && retryableTxnNumber !== undefined
      ? engine.commitsTogether(run, (result) =>
          result instanceof Promise ? undefined : { lsid, txnNumber: retryableTxnNumber, reply: result },
        )
      : run());
    const failedWrites = Array.isArray(reply.writeErrors) && reply.writeErrors.length > 0;
    if (transaction?.state === 'active' && failedWrites && !TRANSACTION_OUTCOME_COMMANDS.has(name)) {
      engine.transactions.finish(transaction, 'aborted');
    }
    if (session.session && session.retryableTxnNumber !== undefined) {
      session.session.lastRetryableWrite = { txnNumber: session.retryableTxnNumber, reply };
    }
    await engine.durable();
    const writeConcernError = fault?.writeConcernError;
    return { ...reply, ...(writeConcernError ? { writeConcernError } : {}), ...engine.replyTimes() };
  } catch (error) {
    const { transaction } = session;
    if (transaction?.state === 'active' && !TRANSACTION_OUTCOME_COMMANDS.has(name))
      engine.transactions.finish(transaction, 'aborted');
    return { ...asCommandError(error).toReply(), ...engine.replyTimes() };
  }
}

/** A retryable write, or the end of a transaction: what mongod labels RetryableWriteError when it fails retryably. */
function isRetryableWrite(name: string, session: CommandSession): boolean {
  return session.retryableTxnNumber !== undefined || TRANSACTION_OUTCOME_COMMANDS.has(name);
}

/**
 * Holds the command up (blockConnection), drops its connection (closeConnection) or fails it
 * (errorCode), as the failCommand fail point says; with none of those (only a writeConcernError)
 * the command runs.
 */
async function injectFault(fault: InjectedFault, connection: ConnectionInfo, error: CommandError): Promise<void> {
  if (fault.blockTimeMS !== undefined) {
    await delay(fault.blockTimeMS, undefined, { signal: connection.signal }).catch(() => undefined);
  }
  if (fault.closeConnection) {
    connection.close();
    throw new Error('connection closed by the failCommand fail point');
  }
  if (fault.errorCode !== undefined) throw error;
}

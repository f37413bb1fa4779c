import type { Document } from 'bson';
import { DataAccess } from '../data-access.js';
import type { Engine } from '../engine.js';
import { asCommandError, commandNotFound } from '../errors.js';
import type { CommandSession } from '../transactions.js';
import { aggregateCommands } from './aggregate.js';
import type { CommandTable, ConnectionInfo } from './context.js';
import { findAndModifyCommands } from './find-and-modify.js';
import { handshakeCommands } from './handshake.js';
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
};

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
    const data = new DataAccess(engine, transaction);
    const reply = await handler(command, { engine, db, data, session: session.session, transaction, connection });
    const failedWrites = Array.isArray(reply.writeErrors) && reply.writeErrors.length > 0;
    if (transaction?.state === 'active' && failedWrites && !TRANSACTION_OUTCOME_COMMANDS.has(name)) {
      engine.transactions.finish(transaction, 'aborted');
    }
    if (session.session && session.retryableTxnNumber !== undefined) {
      session.session.lastRetryableWrite = { txnNumber: session.retryableTxnNumber, reply };
    }
    await engine.durable();
    return { ...reply, ...engine.replyTimes() };
  } catch (error) {
    const { transaction } = session;
    if (transaction?.state === 'active' && !TRANSACTION_OUTCOME_COMMANDS.has(name))
      engine.transactions.finish(transaction, 'aborted');
    return { ...asCommandError(error).toReply(), ...engine.replyTimes() };
  }
}

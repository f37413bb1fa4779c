import type { Document } from 'bson';
import { asCommandError, ErrorCode } from '../errors.js';
import type { CommandContext } from './context.js';

/**
 * Runs the statements of a write command, turning each failure into a `writeErrors` entry; an
 * ordered batch stops at the first one. A write conflict inside a transaction fails the whole
 * command instead, since the transaction cannot go on. The commits of its statements are journaled
 * as one record.
 */
export function runWriteBatch<T>(
  statements: readonly T[],
  ordered: boolean,
  context: CommandContext,
  run: (statement: T, index: number) => void,
): Document[] {
  const writeErrors: Document[] = [];
  context.engine.commitsTogether(() => {
    for (const [index, statement] of statements.entries()) {
      try {
        run(statement, index);
      } catch (error) {
        const failure = asCommandError(error);
        if (context.transaction && failure.code === ErrorCode.WriteConflict) throw failure;
        writeErrors.push(failure.toWriteError(index));
        if (ordered) break;
      }
    }
  });
  return writeErrors;
}

/** The reply of a write command: counts, then the write errors if there were any. */
export function writeReply(counts: Document, writeErrors: Document[]): Document {
  return writeErrors.length > 0 ? { ...counts, writeErrors, ok: 1 } : { ...counts, ok: 1 };
}

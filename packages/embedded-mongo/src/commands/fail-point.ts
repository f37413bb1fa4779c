import type { Document } from 'bson';
import { CommandError, commandNotFound, ErrorCode } from '../errors.js';
import type { CommandContext, CommandTable } from './context.js';

/** Unknown unless the server was started with test commands enabled, as on mongod. */
function configureFailPoint(command: Document, context: CommandContext): Document {
  if (!context.engine.testCommands) throw commandNotFound('configureFailPoint');
  if (context.db !== 'admin') {
    throw new CommandError(ErrorCode.Unauthorized, 'configureFailPoint may only be run against the admin database.');
  }
  return context.engine.failPoints.configure(command);
}

export const failPointCommands: CommandTable = { configureFailPoint };

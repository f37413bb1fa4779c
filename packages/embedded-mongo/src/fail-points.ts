import type { Document } from 'bson';
import { CommandError, ErrorCode } from './errors.js';
import { isPlainObject } from './values/kinds.js';
import { numericValue } from './values/view.js';

/** The error codes whose failure the server labels RetryableWriteError on a retryable write (as mongod does). */
const RETRYABLE_WRITE_CODES: ReadonlySet<number> = new Set([
  6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436,
]);

/**
 * "Not primary" and shutdown errors, which mongod answers together with its current topologyVersion:
 * the driver then sees that nothing changed and does not rediscover the server.
 */
const STATE_CHANGE_CODES: ReadonlySet<number> = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);

/** How a command fails while the `failCommand` fail point is on (its `data` document). */
export interface InjectedFault {
  readonly errorCode: number | undefined;
  readonly errorLabels: readonly string[] | undefined;
  readonly closeConnection: boolean;
  readonly blockTimeMS: number | undefined;
  readonly writeConcernError: Document | undefined;
}

interface FailCommand extends InjectedFault {
  readonly commands: ReadonlySet<string>;
  readonly appName: string | undefined;
  /** Activations left; undefined while alwaysOn. */
  remaining: number | undefined;
  /** Matching commands to let through before the first activation. */
  skip: number;
}

function badValue(message: string): CommandError {
  return new CommandError(ErrorCode.BadValue, message);
}

function parseMode(mode: unknown): { remaining: number | undefined; skip: number } | 'off' {
  if (mode === 'off') return 'off';
  if (mode === 'alwaysOn') return { remaining: undefined, skip: 0 };
  if (isPlainObject(mode)) {
    const times = numericValue(mode.times);
    const skip = numericValue(mode.skip);
    if (times !== undefined && times > 0) return { remaining: times, skip: 0 };
    if (times !== undefined) return 'off';
    if (skip !== undefined && skip >= 0) return { remaining: undefined, skip };
  }
  throw badValue(`Invalid fail point mode: ${JSON.stringify(mode)}`);
}

function parseFailCommand(data: Document, mode: { remaining: number | undefined; skip: number }): FailCommand {
  const commands = data.failCommands;
  if (!Array.isArray(commands) || !commands.every((name) => typeof name === 'string'))
    throw badValue("'failCommands' must be an array of command names");
  const errorCode = data.errorCode === undefined ? undefined : numericValue(data.errorCode);
  if (data.errorCode !== undefined && errorCode === undefined) throw badValue("'errorCode' must be a number");
  const labels = data.errorLabels;
  if (labels !== undefined && (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')))
    throw badValue("'errorLabels' must be an array of strings");
  const blockTimeMS = data.blockConnection === true ? (numericValue(data.blockTimeMS) ?? 0) : undefined;
  return {
    commands: new Set(commands as string[]),
    appName: typeof data.appName === 'string' ? data.appName : undefined,
    errorCode,
    errorLabels: labels as string[] | undefined,
    closeConnection: data.closeConnection === true,
    blockTimeMS,
    writeConcernError: isPlainObject(data.writeConcernError) ? data.writeConcernError : undefined,
    ...mode,
  };
}

/**
 * The `failCommand` fail point of `configureFailPoint`, for tests that need injected faults:
 * listed commands (of clients with the given appName, if any) fail with an error code and labels,
 * lose their connection, or are held up, for a number of times or until turned off.
 */
export class FailPoints {
  private failCommand: FailCommand | undefined;
  private entered = 0;

  /** Applies a configureFailPoint command; returns its reply. */
  configure(command: Document): Document {
    const name = command.configureFailPoint;
    if (name !== 'failCommand') throw badValue(`Unknown fail point: ${String(name)}`);
    const mode = parseMode(command.mode);
    const count = this.entered;
    this.entered = 0;
    if (mode === 'off') {
      this.failCommand = undefined;
    } else {
      const data = command.data;
      if (!isPlainObject(data)) throw badValue("'data' must be an object");
      this.failCommand = parseFailCommand(data, mode);
    }
    return { count, ok: 1 };
  }

  /** The fault to inject into this command, if the fail point is on for it; counts one activation. */
  take(commandName: string, appName: string | undefined): InjectedFault | undefined {
    const point = this.failCommand;
    if (!point?.commands.has(commandName)) return undefined;
    if (point.appName !== undefined && point.appName !== appName) return undefined;
    if (point.skip > 0) {
      point.skip -= 1;
      return undefined;
    }
    this.entered += 1;
    if (point.remaining !== undefined) {
      point.remaining -= 1;
      if (point.remaining <= 0) this.failCommand = undefined;
    }
    return point;
  }
}

/**
 * The error an injected fault answers with. Without explicit errorLabels, a retryable error code on
 * a retryable write gets the RetryableWriteError label, as mongod adds it.
 */
export function injectedError(fault: InjectedFault, retryableWrite: boolean, topologyVersion: Document): CommandError {
  const code = fault.errorCode as number;
  const labels = fault.errorLabels
    ? [...fault.errorLabels]
    : retryableWrite && RETRYABLE_WRITE_CODES.has(code)
      ? ['RetryableWriteError']
      : [];
  const details = STATE_CHANGE_CODES.has(code) ? { topologyVersion } : {};
  return new CommandError(code, "Failing command via 'failCommand' failpoint", { labels, details });
}

import type { Document } from 'bson';
import { CommandError, ErrorCode, RESUMABLE_CHANGE_STREAM_ERROR } from './errors.js';
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

/**
 * The errors after which a change stream can be resumed: a change stream's getMore failing with
 * one of them is labelled ResumableChangeStreamError, as mongod (4.4+) labels it.
 */
const RESUMABLE_CHANGE_STREAM_CODES: ReadonlySet<number> = new Set([
  6, 7, 43, 63, 89, 91, 133, 150, 189, 234, 262, 9001, 10107, 11600, 11602, 13388, 13435, 13436,
]);

/** How a command fails while the `failCommand` fail point is on (its `data` document). */
export interface InjectedFault {
  readonly errorCode: number | undefined;
  readonly errorLabels: readonly string[] | undefined;
  readonly closeConnection: boolean;
  readonly blockTimeMS: number | undefined;
  readonly writeConcernError: Document | undefined;
}

interface Activations {
  /** Activations left; undefined while alwaysOn. */
  remaining: number | undefined;
  /** Matching commands to let through before the first activation. */
  skip: number;
}

interface FailCommand extends InjectedFault, Activations {
  readonly commands: ReadonlySet<string>;
  readonly appName: string | undefined;
}

/** failGetMoreAfterCursorCheckout: a getMore fails with the error code once it holds its cursor. */
interface FailGetMore extends Activations {
  readonly errorCode: number;
}

const FAIL_POINT_NAMES = ['failCommand', 'failGetMoreAfterCursorCheckout'] as const;
type FailPointName = (typeof FAIL_POINT_NAMES)[number];

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
 * The fail points of `configureFailPoint`, for tests that need injected faults. `failCommand`:
 * listed commands (of clients with the given appName, if any) fail with an error code and labels,
 * lose their connection, or are held up, for a number of times or until turned off.
 * `failGetMoreAfterCursorCheckout`: getMore fails with the error code after finding its cursor,
 * which a change stream's getMore reports as resumable when the code is.
 */
export class FailPoints {
  private failCommand: FailCommand | undefined;
  private failGetMore: FailGetMore | undefined;
  private readonly entered = new Map<FailPointName, number>();

  /** Applies a configureFailPoint command; returns its reply. */
  configure(command: Document): Document {
    const name = command.configureFailPoint;
    if (!FAIL_POINT_NAMES.includes(name)) throw badValue(`Unknown fail point: ${String(name)}`);
    const mode = parseMode(command.mode);
    const count = this.entered.get(name) ?? 0;
    this.entered.set(name, 0);
    const data = command.data ?? {};
    if (mode !== 'off' && !isPlainObject(data)) throw badValue("'data' must be an object");
    if (name === 'failCommand') this.failCommand = mode === 'off' ? undefined : parseFailCommand(data, mode);
    else this.failGetMore = mode === 'off' ? undefined : parseFailGetMore(data, mode);
    return { count, ok: 1 };
  }

  /** The fault to inject into this command, if the fail point is on for it; counts one activation. */
  take(commandName: string, appName: string | undefined): InjectedFault | undefined {
    const point = this.failCommand;
    if (!point?.commands.has(commandName)) return undefined;
    if (point.appName !== undefined && point.appName !== appName) return undefined;
    if (!this.activate('failCommand', point)) return undefined;
    if (point.remaining === 0) this.failCommand = undefined;
    return point;
  }

  /** The error a getMore that found its cursor fails with, if failGetMoreAfterCursorCheckout is on. */
  takeGetMoreError(changeStream: boolean): CommandError | undefined {
    const point = this.failGetMore;
    if (!point || !this.activate('failGetMoreAfterCursorCheckout', point)) return undefined;
    if (point.remaining === 0) this.failGetMore = undefined;
    const labels =
      changeStream && RESUMABLE_CHANGE_STREAM_CODES.has(point.errorCode) ? [RESUMABLE_CHANGE_STREAM_ERROR] : [];
    return new CommandError(point.errorCode, "Failing getMore via 'failGetMoreAfterCursorCheckout' failpoint", {
      labels,
    });
  }

  /** Whether the fail point fires this time (after its skips), counting the activation. */
  private activate(name: FailPointName, point: Activations): boolean {
    if (point.skip > 0) {
      point.skip -= 1;
      return false;
    }
    this.entered.set(name, (this.entered.get(name) ?? 0) + 1);
    if (point.remaining !== undefined) point.remaining -= 1;
    return true;
  }
}

function parseFailGetMore(data: Document, mode: Activations): FailGetMore {
  const errorCode = numericValue(data.errorCode);
  if (errorCode === undefined) throw badValue("'errorCode' must be a number");
  return { errorCode, ...mode };
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

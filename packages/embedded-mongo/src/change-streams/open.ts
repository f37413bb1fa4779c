import type { Document, Timestamp } from 'bson';
import type { CommandContext } from '../commands/context.js';
import { serveBatch } from '../cursors.js';
import { CommandError, ErrorCode } from '../errors.js';
import { compilePipeline, isPipelineStage } from '../query/mingo.js';
import { optionalBoolean } from '../commands/arguments.js';
import { bsonType, isPlainObject } from '../values/kinds.js';
import { toView } from '../values/view.js';
import { parseResumeToken, positionBefore } from './change-log.js';
import type { LogPosition } from './change-log.js';
import { ChangeStreamCursor } from './cursor.js';
import { namespaceFilter } from './namespace-filter.js';
import type { ChangeStreamScope } from './cursor.js';

/** Stages a change stream pipeline may use after $changeStream: ones that work event by event. */
const ALLOWED_STAGES = new Set([
  '$match',
  '$project',
  '$addFields',
  '$set',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
  '$redact',
]);

const FULL_DOCUMENT_MODES = new Set(['default', 'updateLookup', 'whenAvailable', 'required']);
const PRE_IMAGE_MODES = new Set(['off', 'whenAvailable', 'required']);

/** Answers an aggregate whose first stage is $changeStream: opens the stream and serves its first batch. */
export function openChangeStream(
  stageOptions: unknown,
  pipeline: Document[],
  scope: ChangeStreamScope,
  batchSize: number | undefined,
  context: CommandContext,
): Promise<Document> {
  if (!isPlainObject(stageOptions))
    throw new CommandError(ErrorCode.TypeMismatch, '$changeStream stage expects a document as argument');
  if (context.transaction) {
    throw new CommandError(
      ErrorCode.OperationNotSupportedInTransaction,
      'Operation not permitted in transaction :: caused by :: $changeStream',
    );
  }
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0] ?? '';
    if (name === '$changeStream') {
      throw new CommandError(
        ErrorCode.ChangeStreamNotFirstStage,
        '$changeStream is only valid as the first stage in a pipeline',
      );
    }
    if (!isPipelineStage(name)) {
      throw new CommandError(ErrorCode.UnrecognizedPipelineStage, `Unrecognized pipeline stage name: '${name}'`);
    }
    if (!ALLOWED_STAGES.has(name)) {
      throw new CommandError(ErrorCode.IllegalOperation, `${name} is not permitted in a $changeStream pipeline`);
    }
  }
  const fullDocument = optionalMode(stageOptions, 'fullDocument', FULL_DOCUMENT_MODES) ?? 'default';
  const fullDocumentBeforeChange = optionalMode(stageOptions, 'fullDocumentBeforeChange', PRE_IMAGE_MODES) ?? 'off';
  const showExpandedEvents = optionalBoolean(stageOptions, 'showExpandedEvents') ?? false;
  const cursor = new ChangeStreamCursor(
    context.engine,
    stageOptions.allChangesForCluster === true ? { db: undefined, coll: undefined } : scope,
    { fullDocument, fullDocumentBeforeChange, showExpandedEvents },
    compilePipeline(toView(pipeline)),
    startPosition(stageOptions, context),
    namespaceFilter(pipeline),
  );
  // The first batch answers the aggregate at once: it never waits for events.
  return serveBatch(context.engine.cursors, cursor, { batchSize, maxTimeMS: 0, signal: context.connection.signal });
}

function optionalMode(options: Document, field: string, modes: ReadonlySet<string>): string | undefined {
  const mode: unknown = options[field];
  if (mode === undefined) return undefined;
  if (typeof mode !== 'string' || !modes.has(mode)) {
    throw new CommandError(
      ErrorCode.BadValue,
      `'${String(mode)}' is not a valid value for the $changeStream option '${field}'`,
    );
  }
  return mode;
}

/** Where the stream starts: after a resume token, at an operation time, or after everything committed so far. */
function startPosition(options: Document, context: CommandContext): LogPosition {
  const token: unknown = options.resumeAfter ?? options.startAfter;
  if (token !== undefined) return parseResumeToken(token);
  const time: unknown = options.startAtOperationTime;
  if (time !== undefined) {
    if (bsonType(time) !== 'Timestamp')
      throw new CommandError(ErrorCode.TypeMismatch, "'startAtOperationTime' must be a timestamp");
    return positionBefore(time as Timestamp);
  }
  return context.engine.changes.highWaterMark(context.engine.clock.current());
}

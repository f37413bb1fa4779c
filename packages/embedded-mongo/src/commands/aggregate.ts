import { createHash } from 'node:crypto';
import { Binary } from 'bson';
import type { Document } from 'bson';
import { openChangeStream } from '../change-streams/open.js';
import { ArrayCursor, serveBatch } from '../cursors.js';
import { CommandError, ErrorCode } from '../errors.js';
import { runPipeline } from '../query/mingo.js';
import { isPlainObject } from '../values/kinds.js';
import { restoreTypes, toView } from '../values/view.js';
import { documentArray, operationCollation, optionalDocument, optionalNumber } from './arguments.js';
import { OUTPUT_STAGES, writeOutput } from './aggregate-output.js';
import type { CommandContext, CommandTable } from './context.js';
import { viewNotCollection, viewReadCollation } from '../views.js';
import { DEFAULT_FIRST_BATCH_SIZE } from './reads.js';

function stageName(stage: Document): string {
  return Object.keys(stage)[0] ?? '';
}

function aggregate(command: Document, context: CommandContext): Promise<Document> {
  const pipeline = documentArray(command, 'pipeline');
  if (command.explain !== undefined) {
    throw new CommandError(ErrorCode.CommandNotSupported, 'explain is not supported by the embedded MongoDB server');
  }
  const cursorOptions = optionalDocument(command, 'cursor');
  if (!cursorOptions) {
    throw new CommandError(
      ErrorCode.FailedToParse,
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  const batchSize = optionalNumber(cursorOptions, 'batchSize') ?? DEFAULT_FIRST_BATCH_SIZE;
  const target: unknown = command.aggregate;
  const coll = typeof target === 'string' ? target : undefined;
  const [first, ...rest] = pipeline;
  const view = coll === undefined ? undefined : context.engine.catalog.view(context.db, coll);
  if (first && stageName(first) === '$changeStream') {
    if (view) throw viewNotCollection(context.db, view.name);
    return openChangeStream(first.$changeStream, rest, { db: context.db, coll }, batchSize, context);
  }
  for (const [index, stage] of pipeline.entries()) {
    const name = stageName(stage);
    if (name === '$changeStream') {
      throw new CommandError(
        ErrorCode.ChangeStreamNotFirstStage,
        '$changeStream is only valid as the first stage in a pipeline',
      );
    }
    if (OUTPUT_STAGES.has(name) && index !== pipeline.length - 1) {
      throw new CommandError(ErrorCode.OutputStageNotLast, `${name} can only be the final stage in the pipeline`);
    }
  }
  const last = pipeline.at(-1);
  const output = last && OUTPUT_STAGES.has(stageName(last)) ? last : undefined;
  if (output && (command.readConcern as Document | undefined)?.level === 'linearizable') {
    throw new CommandError(
      ErrorCode.InvalidOptions,
      `${stageName(output)} cannot be used with a 'linearizable' read concern level`,
    );
  }
  if (coll === undefined && target !== 1) {
    throw new CommandError(
      ErrorCode.InvalidNamespace,
      "Invalid value for 'aggregate': it must be a collection name or 1",
    );
  }
  const stages = pipeline.slice(0, output ? -1 : undefined);
  const results = view
    ? context.data.readView(view, stages, viewReadCollation(view, command.collation)).map(restoreTypes)
    : collectionResults(coll, stages, command, context);
  if (output) {
    writeOutput(output, results, context);
    results.length = 0;
  }
  const cursor = new ArrayCursor(`${context.db}.${coll ?? '$cmd.aggregate'}`, results);
  return serveBatch(context.engine.cursors, cursor, { batchSize, signal: context.connection.signal });
}

/** The results of a pipeline (without its output stage) over a collection, or over nothing for `aggregate: 1`. */
function collectionResults(
  coll: string | undefined,
  pipeline: Document[],
  command: Document,
  context: CommandContext,
): Document[] {
  const [first, ...rest] = pipeline;
  const collation = operationCollation(
    command,
    coll === undefined ? undefined : context.data.collection(context.db, coll),
  );
  const sessions = first && stageName(first) === '$listLocalSessions' ? localSessions(first, coll, context) : undefined;
  // A leading $match selects the input through the planner, so it can use indexes.
  const leadingMatch = first && stageName(first) === '$match' ? (first.$match as Document) : undefined;
  const input =
    sessions ??
    (coll === undefined
      ? []
      : context.data.find(context.db, coll, toView(leadingMatch ?? {}), collation).map((record) => record.view));
  const stages = leadingMatch || sessions ? rest : pipeline;
  return runPipeline(input, toView(stages), context.data.resolver(context.db), {
    variables: context.data.variables,
    collation,
  }).map(restoreTypes);
}

/** Without authentication every session belongs to the same (unnamed) user: the SHA-256 of no name. */
const NO_USER = new Binary(createHash('sha256').update('').digest());

/**
 * $listLocalSessions, first stage of a database's `aggregate: 1`: one document per session this
 * server has seen (all of them: there is a single user), as `{ _id: { id, uid }, lastUse }`.
 */
function localSessions(stage: Document, coll: string | undefined, context: CommandContext): Document[] {
  if (coll !== undefined) {
    throw new CommandError(ErrorCode.InvalidNamespace, '$listLocalSessions must be run with {aggregate: 1}');
  }
  if (!isPlainObject(stage.$listLocalSessions))
    throw new CommandError(ErrorCode.TypeMismatch, '$listLocalSessions must take an object as its argument');
  return context.engine.transactions
    .localSessions()
    .map((session) => toView({ _id: { id: session.lsid.id, uid: NO_USER }, lastUse: session.lastUse }));
}

export const aggregateCommands: CommandTable = { aggregate };

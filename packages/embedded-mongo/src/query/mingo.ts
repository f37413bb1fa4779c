import type { Document } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { Context, ProcessingMode } from 'mingo/core';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import { MingoError } from 'mingo/util';
import { CommandError, ErrorCode } from '../errors.js';
import { copyView } from '../values/view.js';
import { collatedPipelineOperators, collatedQueryOperators } from './collated-operators.js';
import type { Collation } from './collation.js';
import { $count } from './count-stage.js';
import { $type } from './type-operator.js';

/** Resolves the collection named by $lookup/$unionWith/$graphLookup to its visible documents (as views). */
export type CollectionResolver = (name: string) => Document[];

/**
 * Every mingo operator, with $type replaced by one that sees exact BSON types, the operators that
 * compare strings by ones that honour a collation, and $count by one that counts nothing as MongoDB.
 */
const CONTEXT = Context.init({
  accumulator: accumulatorOperators,
  expression: expressionOperators,
  pipeline: {
    ...pipelineOperators,
    ...(collatedPipelineOperators as unknown as typeof pipelineOperators),
    $count: $count as typeof pipelineOperators.$count,
  },
  projection: projectionOperators,
  query: {
    ...queryOperators,
    ...(collatedQueryOperators as unknown as typeof queryOperators),
    $type: $type as typeof queryOperators.$type,
  },
  window: windowOperators,
});

/** Stages the server itself implements (or refuses by name), beside mingo's. */
const SERVER_STAGES = new Set([
  '$changeStream',
  '$out',
  '$merge',
  '$collStats',
  '$indexStats',
  '$currentOp',
  '$listSessions',
  '$listLocalSessions',
  '$documents',
  '$search',
  '$searchMeta',
  '$planCacheStats',
]);

/** Whether MongoDB knows a pipeline stage of this name (an unknown one is UnrecognizedPipelineStage). */
export function isPipelineStage(name: string): boolean {
  return Object.hasOwn(pipelineOperators, name) || SERVER_STAGES.has(name);
}

/** What a query or pipeline runs with beyond its own text. */
export interface QueryEnvironment {
  /** The command's `let` variables (view form), read as `$$name`. */
  readonly variables?: Document | undefined;
  /** The command's collation; undefined for the simple one. */
  readonly collation?: Collation | undefined;
}

export function mingoOptions(
  resolveCollection?: CollectionResolver,
  environment: QueryEnvironment = {},
): Partial<Options> {
  const { variables, collation } = environment;
  return {
    ...(variables ? { variables } : {}),
    ...(collation ? { collation: collation as unknown as Options['collation'] } : {}),
    context: CONTEXT,
    idKey: '_id',
    useStrictMode: true,
    // mingo's $setWindowFields runs on $function internally; JavaScript from clients arrives as BSON Code, which it refuses.
    scriptEnabled: true,
    processingMode: ProcessingMode.CLONE_OFF,
    ...(resolveCollection ? { collectionResolver: resolveCollection } : {}),
  };
}

type ErrorRule = [RegExp, (name: string) => CommandError];

/** mingo reports unknown operators and invalid specs as MingoError messages; these are the server's answers to them. */
const ERROR_RULES: ErrorRule[] = [
  [
    /^unknown top level operator: (\S+)/,
    (name) => new CommandError(ErrorCode.BadValue, `unknown top level operator: ${name}`),
  ],
  [/^unknown query operator (\S+)/, (name) => new CommandError(ErrorCode.BadValue, `unknown operator: ${name}`)],
  [
    /^(?:unregistered pipeline operator|Unknown pipeline operator:) '?([^'\s]+?)'?\.?$/,
    (name) => new CommandError(ErrorCode.UnrecognizedPipelineStage, `Unrecognized pipeline stage name: '${name}'`),
  ],
  [
    /^Unknown update operator: '(\S+)'/,
    (name) =>
      new CommandError(
        ErrorCode.FailedToParse,
        `Unknown modifier: ${name}. Expected a valid update modifier or pipeline-style update specified as an array`,
      ),
  ],
  [
    /^accumulator '(\S+)' is not registered/,
    (name) => new CommandError(ErrorCode.InvalidPipelineOperator, `Unrecognized expression '${name}'`),
  ],
  [
    /^Performing an update on the path '(.+)' would modify the immutable field '_id'/,
    (path) =>
      new CommandError(
        ErrorCode.ImmutableField,
        `Performing an update on the path '${path}' would modify the immutable field '_id'`,
      ),
  ],
];

function translateMingoError(error: unknown): unknown {
  if (!(error instanceof MingoError)) return error;
  for (const [pattern, toError] of ERROR_RULES) {
    const match = pattern.exec(error.message);
    if (match) return toError(match[1] as string);
  }
  return new CommandError(ErrorCode.BadValue, error.message);
}

/** Runs mingo code, turning its errors into MongoDB-shaped ones. */
export function withQueryErrors<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw translateMingoError(error);
  }
}

export interface Filter {
  test(view: Document): boolean;
}

export function compileFilter(filter: Document, environment?: QueryEnvironment): Filter {
  if (Object.keys(filter).length === 0) return { test: () => true };
  const query = withQueryErrors(() => new Query(filter, mingoOptions(undefined, environment)));
  return { test: (view) => withQueryErrors(() => query.test(view)) };
}

/** Runs an aggregation pipeline over copies of the views, so that no stage can modify stored documents. */
export function runPipeline(
  views: Document[],
  pipeline: Document[],
  resolveCollection?: CollectionResolver,
  environment?: QueryEnvironment,
): Document[] {
  return compilePipeline(pipeline, resolveCollection, environment)(views);
}

/** A pipeline checked once and run many times (change streams apply theirs to every event). */
export function compilePipeline(
  pipeline: Document[],
  resolveCollection?: CollectionResolver,
  environment?: QueryEnvironment,
): (views: Document[]) => Document[] {
  if (pipeline.length === 0) return (views) => views;
  const aggregator = withQueryErrors(() => new Aggregator(pipeline, mingoOptions(resolveCollection, environment)));
  return (views) => withQueryErrors(() => aggregator.run(views.map(copyView)));
}

/**
 * The values of a command's `let` variables (view form): each is an expression, evaluated once for
 * the whole command ({ $literal: '$x' } is the string '$x', { $rand: {} } one number).
 */
export function evaluateVariables(spec: Document): Document {
  const [values] = runPipeline([{}], [{ $replaceWith: spec }]);
  return values ?? {};
}

/** Orders views by a sort specification; $sort only reorders, so the very same view objects come back. */
export function sortViews(views: Document[], sort: Document, collation?: Collation): Document[] {
  return withQueryErrors(() => new Aggregator([{ $sort: sort }], mingoOptions(undefined, { collation })).run(views));
}

import type { Filter, Pipeline, PipelineStage, Update } from './documents.js';
import { UnsafeQueryError } from './errors.js';

/** Operators that run JavaScript on the server: arbitrary code inside a query is never needed here. */
const SERVER_SIDE_JS: ReadonlySet<string> = new Set(['$where', '$function', '$accumulator']);

/** Stages refused in every scope, with the reason given in the error. */
const REFUSED_STAGES: Readonly<Record<string, string>> = {
  $unionWith: 'it reads a second collection that the tenant match does not cover',
  $graphLookup: 'its recursive reads of another collection cannot be scoped stage by stage',
  $out: 'it writes around the stamping and checks of insertOne and updateOne',
  $merge: 'it writes around the stamping and checks of insertOne and updateOne',
  $currentOp: "it shows every client's operations on the server",
  $listSessions: "it shows every client's sessions on the server",
  $collStats: "it reports on the whole collection, every tenant's documents included",
  $indexStats: "it reports on the whole collection, every tenant's documents included",
  $changeStream: "it streams every tenant's changes; event delivery has its own path",
};

/**
 * Stages that only reshape the documents already flowing through the pipeline. Anything else is
 * refused: a stage added to MongoDB later is not allowed until someone has checked what it reads.
 */
const ALLOWED_STAGES: ReadonlySet<string> = new Set([
  '$match',
  '$project',
  '$addFields',
  '$set',
  '$unset',
  '$group',
  '$sort',
  '$limit',
  '$skip',
  '$count',
  '$unwind',
  '$lookup',
  '$facet',
  '$bucket',
  '$bucketAuto',
  '$sortByCount',
  '$replaceRoot',
  '$replaceWith',
  '$sample',
  '$setWindowFields',
  '$densify',
  '$fill',
  '$redact',
]);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function refuse(message: string): never {
  throw new UnsafeQueryError(message);
}

/**
 * Refuses server-side JavaScript and undefined values anywhere in a filter, projection, sort or
 * pipeline (an undefined value is a missing variable; dropped or sent as null it would widen or
 * change the query). `onKey` sees every key on the way, for scope-specific checks.
 */
export function assertSafeQuery(what: string, value: unknown, onKey?: (key: string, value: unknown) => void): void {
  const walk = (node: unknown): void => {
    if (node === undefined) refuse(`${what} holds an undefined value`);
    if (Array.isArray(node)) {
      for (const item of node as unknown[]) walk(item);
      return;
    }
    if (!isPlainObject(node)) return;
    for (const [key, child] of Object.entries(node)) {
      if (SERVER_SIDE_JS.has(key)) refuse(`${what} uses ${key}: server-side JavaScript is refused`);
      onKey?.(key, child);
      walk(child);
    }
  };
  walk(value);
}

export function assertFilter(filter: unknown, onKey?: (key: string, value: unknown) => void): Filter {
  if (!isPlainObject(filter)) refuse('a filter must be a plain object');
  assertSafeQuery('filter', filter, onKey);
  return filter;
}

const touches = (path: string, field: string): boolean => path === field || path.startsWith(`${field}.`);

/**
 * An update must be a document of operators ($set, $inc, …) none of which names a protected field
 * (a $rename is checked on both ends). Replacement documents and pipeline updates are refused: they
 * can rewrite any field, so their safety could not be read off their keys.
 */
export function assertSafeUpdate(update: unknown, protectedFields: readonly string[]): Update {
  if (!isPlainObject(update)) refuse('an update must be a document of update operators');
  const entries = Object.entries(update);
  if (entries.length === 0) refuse('an update must hold at least one operator');
  for (const [operator, fields] of entries) {
    if (!operator.startsWith('$')) {
      refuse(`update key '${operator}' is not an operator: replacement documents are refused, use $set`);
    }
    if (!isPlainObject(fields)) refuse(`${operator} must hold a document of fields`);
    for (const [path, value] of Object.entries(fields)) {
      const targets = operator === '$rename' ? [path, value] : [path];
      for (const target of targets) {
        const field = protectedFields.find((name) => typeof target === 'string' && touches(target, name));
        if (field !== undefined) refuse(`${operator} may not change '${field}'`);
      }
    }
  }
  return update;
}

/** How one scope treats the stages whose meaning depends on the scope. */
export interface PipelineRules {
  /** Returns the $lookup spec rewritten so it only sees what the scope may see, or refuses it. */
  lookup(spec: Record<string, unknown>): Record<string, unknown>;
  /** Checks the filter of a $match stage. */
  match(filter: unknown): void;
}

/**
 * Checks every stage against the refused and allowed lists and returns a copy with $lookup stages
 * (also those inside $facet) rewritten by the scope's rules.
 */
export function checkPipeline(pipeline: Pipeline, rules: PipelineRules): PipelineStage[] {
  if (!Array.isArray(pipeline)) refuse('a pipeline must be an array of stages');
  assertSafeQuery('pipeline', pipeline);
  return pipeline.map((stage: unknown) => checkStage(stage, rules));
}

function checkStage(stage: unknown, rules: PipelineRules): PipelineStage {
  if (!isPlainObject(stage)) refuse('a pipeline stage must be a plain object');
  const [name, ...others] = Object.keys(stage);
  if (name === undefined || others.length > 0) refuse('a pipeline stage must hold exactly one operator');
  const reason = REFUSED_STAGES[name];
  if (reason !== undefined) refuse(`${name} is refused: ${reason}`);
  if (!ALLOWED_STAGES.has(name)) refuse(`${name} is not an allowed pipeline stage`);
  const body = stage[name];
  switch (name) {
    case '$lookup':
      if (!isPlainObject(body)) refuse('$lookup must hold a document');
      return { $lookup: rules.lookup(body) };
    case '$facet':
      return { $facet: checkFacet(body, rules) };
    case '$match':
      rules.match(body);
      return stage;
    default:
      return stage;
  }
}

function checkFacet(body: unknown, rules: PipelineRules): Record<string, PipelineStage[]> {
  if (!isPlainObject(body)) refuse('$facet must hold a document of pipelines');
  const facets: Record<string, PipelineStage[]> = {};
  for (const [output, pipeline] of Object.entries(body)) {
    facets[output] = checkPipeline(pipeline as Pipeline, rules);
  }
  return facets;
}

/** The pipeline of a $lookup, checked; absent means the equality form (localField/foreignField). */
export function lookupPipeline(spec: Record<string, unknown>, rules: PipelineRules): PipelineStage[] {
  const inner = spec.pipeline ?? [];
  if (!Array.isArray(inner)) refuse('$lookup.pipeline must be an array of stages');
  return checkPipeline(inner as Pipeline, rules);
}

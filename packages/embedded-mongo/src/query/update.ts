import { ObjectId } from 'bson';
import type { Document } from 'bson';
import { updateOne } from 'mingo/updater';
import { CommandError, ErrorCode } from '../errors.js';
import type { StoredDocument } from '../storage/collection.js';
import { canonicalKey } from '../values/canonical.js';
import { isPlainObject } from '../values/kinds.js';
import { setPath } from '../values/paths.js';
import { cloneDocument, restoreUpdatedTypes, toView } from '../values/view.js';
import { mingoOptions, runPipeline, withQueryErrors } from './mingo.js';
import type { QueryEnvironment } from './mingo.js';

/** An update as sent in update/findAndModify: operators, a replacement document, or a pipeline. */
export type UpdateSpec = Document | Document[];

/**
 * Operators whose operands are stored as given, so a $set of a Long or Decimal128 keeps its exact
 * type; the others compute on numbers and get their operands in view form.
 */
const VERBATIM_OPERAND_OPERATORS = new Set(['$set', '$setOnInsert', '$push', '$addToSet']);

/** The only stages MongoDB allows in an update pipeline. */
const UPDATE_PIPELINE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

export function isReplacement(update: UpdateSpec): update is Document {
  return !Array.isArray(update) && !Object.keys(update).some((key) => key.startsWith('$'));
}

/**
 * The document after applying the update to a stored one, or undefined when it leaves it
 * unchanged. `filter` (view form, matched under the environment's collation) locates the
 * positional `$` element.
 */
export function applyUpdate(
  before: StoredDocument,
  update: UpdateSpec,
  filter: Document,
  arrayFilters: Document[] | undefined,
  environment: QueryEnvironment = {},
): Document | undefined {
  if (isReplacement(update)) return replaceDocument(before.doc, update);
  if (Array.isArray(update)) {
    const after = pipelineUpdate(before.view, before.doc, update, environment.variables);
    if (canonicalKey(after._id) !== canonicalKey(before.doc._id)) throw alteredIdError(after._id);
    return canonicalKey(after) === canonicalKey(before.doc) ? undefined : after;
  }
  const working = [cloneDocument(before.view)];
  const modifier = operatorModifier(update, before.doc._id, false);
  if (!Array.isArray(modifier) && Object.keys(modifier).length === 0) return undefined;
  const result = withQueryErrors(() =>
    updateOne(
      working,
      filter,
      modifier,
      arrayFilters ? { arrayFilters: toView(arrayFilters) } : {},
      mingoOptions(undefined, environment),
    ),
  );
  if (result.modifiedCount === 0) return undefined;
  const after = restoreUpdatedTypes(working[0] as Document, before.doc);
  if (canonicalKey(after._id) !== canonicalKey(before.doc._id)) throw alteredIdError(after._id);
  return after;
}

/**
 * Runs an update pipeline over one document, as MongoDB does: only the stages an update may use,
 * the command's `let` variables, and the `_id` kept when the pipeline leaves it out.
 */
function pipelineUpdate(view: Document, original: Document, pipeline: Document[], variables?: Document): Document {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0] ?? '';
    if (!UPDATE_PIPELINE_STAGES.has(name)) {
      throw new CommandError(ErrorCode.InvalidOptions, `${name} is not allowed to be used within an update`);
    }
  }
  const [result] = runPipeline([cloneDocument(view)], toView(pipeline), undefined, { variables });
  const after = restoreUpdatedTypes((result ?? {}) as Document, original);
  if (after._id !== undefined || original._id === undefined) return after;
  return { _id: original._id, ...after };
}

function replaceDocument(before: Document, replacement: Document): Document | undefined {
  if (replacement._id !== undefined && canonicalKey(replacement._id) !== canonicalKey(before._id)) {
    throw alteredIdError(replacement._id);
  }
  const after: Document = { _id: before._id };
  for (const [field, value] of Object.entries(replacement)) {
    if (field !== '_id') after[field] = value;
  }
  return canonicalKey(after) === canonicalKey(before) ? undefined : after;
}

/**
 * The document an upsert inserts: the filter's equality fields, then the update applied with
 * $setOnInsert, with a generated ObjectId unless the filter or update sets `_id`.
 */
export function upsertDocument(
  filter: Document,
  update: UpdateSpec,
  arrayFilters: Document[] | undefined,
  variables?: Document,
): Document {
  const seed = equalityFields(filter);
  let inserted: Document;
  if (isReplacement(update)) {
    inserted = { ...update };
    if (inserted._id === undefined && seed._id !== undefined) inserted._id = seed._id;
  } else if (Array.isArray(update)) {
    inserted = pipelineUpdate(toView(seed), seed, update, variables);
  } else {
    const explicitId = explicitInsertId(update);
    if (explicitId !== undefined) seed._id = explicitId;
    const working = [cloneDocument(toView(seed))];
    const modifier = operatorModifier(update, undefined, true);
    withQueryErrors(() =>
      updateOne(working, {}, modifier, arrayFilters ? { arrayFilters: toView(arrayFilters) } : {}, mingoOptions()),
    );
    inserted = restoreUpdatedTypes(working[0] as Document, seed);
  }
  // `_id: null` in the filter or the update is a value like any other: only a missing _id is generated.
  const { _id: id, ...rest } = inserted;
  return { _id: id === undefined ? new ObjectId() : id, ...rest };
}

/** An `_id` set by the update itself ($set or $setOnInsert), which mingo would refuse to set. */
function explicitInsertId(update: Document): unknown {
  for (const operands of [update.$set, update.$setOnInsert]) {
    if (isPlainObject(operands) && operands._id !== undefined) return operands._id;
  }
  return undefined;
}

/** Top-level equality conditions of a filter (also inside $and) as fields of a new document. */
function equalityFields(filter: Document): Document {
  const seed: Document = {};
  const visit = (clause: Document): void => {
    for (const [field, condition] of Object.entries(clause)) {
      if (field === '$and' && Array.isArray(condition)) {
        for (const part of condition) if (isPlainObject(part)) visit(part);
      } else if (!field.startsWith('$')) {
        const operators = isPlainObject(condition) ? Object.keys(condition).filter((key) => key.startsWith('$')) : [];
        if (operators.length === 0) setPath(seed, field, condition);
        else if (operators.length === 1 && operators[0] === '$eq') setPath(seed, field, (condition as Document).$eq);
      }
    }
  };
  visit(filter);
  return seed;
}

/** The operators for mingo: $setOnInsert only when inserting, `_id` only when it does not change. */
function operatorModifier(update: Document, currentId: unknown, inserting: boolean): Document {
  const modifier: Document = {};
  for (const [operator, operands] of Object.entries(update)) {
    if (!isPlainObject(operands)) {
      throw new CommandError(
        ErrorCode.FailedToParse,
        `Modifiers operate on fields but we found type ${Array.isArray(operands) ? 'array' : typeof operands} instead. For example: {$mod: {<field>: ...}} not {${operator}: ...}`,
      );
    }
    if (operator === '$setOnInsert' && !inserting) continue;
    const target = operator === '$setOnInsert' ? '$set' : operator;
    const converted = VERBATIM_OPERAND_OPERATORS.has(operator) ? { ...operands } : toView(operands);
    if (target === '$set' && '_id' in converted && !inserting) {
      if (canonicalKey(converted._id) !== canonicalKey(currentId)) throw alteredIdError(converted._id);
      delete converted._id;
      if (Object.keys(converted).length === 0) continue;
    }
    if (target === '$set' && inserting) delete converted._id;
    modifier[target] = { ...(modifier[target] as Document | undefined), ...converted };
  }
  return modifier;
}

function alteredIdError(id: unknown): CommandError {
  return new CommandError(
    ErrorCode.ImmutableField,
    `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${JSON.stringify(id)}`,
  );
}

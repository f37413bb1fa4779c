import { ObjectId } from 'bson';
import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import { canonicalKey } from '../values/canonical.js';
import { isPlainObject } from '../values/kinds.js';
import type { CommandContext } from './context.js';

/** Stages that write their input to a collection: allowed as the last stage only. */
export const OUTPUT_STAGES = new Set(['$out', '$merge']);

interface Target {
  readonly db: string;
  readonly coll: string;
}

function targetOf(spec: unknown, db: string, stage: string): Target {
  if (typeof spec === 'string' && spec !== '') return { db, coll: spec };
  if (isPlainObject(spec) && typeof spec.coll === 'string') {
    return { db: typeof spec.db === 'string' ? spec.db : db, coll: spec.coll };
  }
  throw new CommandError(ErrorCode.FailedToParse, `${stage} requires a collection name or a { db, coll } document`);
}

function withId(document: Document): Document {
  return document._id === undefined ? { _id: new ObjectId(), ...document } : document;
}

/**
 * $out: the results replace the target collection's documents (its indexes stay). The results are
 * checked first (one `_id` each), so a failure leaves the target as it was; the replacement itself
 * is a sequence of writes, not one atomic switch as on MongoDB.
 */
function out(results: Document[], target: Target, context: CommandContext): void {
  const documents = results.map(withId);
  const ids = new Set<string>();
  for (const document of documents) {
    const key = canonicalKey(document._id);
    if (ids.has(key)) {
      throw new CommandError(
        ErrorCode.DuplicateKey,
        `E11000 duplicate key error collection: ${target.db}.${target.coll} index: _id_`,
      );
    }
    ids.add(key);
  }
  for (const existing of context.data.find(target.db, target.coll, {}))
    context.data.remove(target.db, target.coll, existing);
  for (const document of documents) context.data.insert(target.db, target.coll, document);
  if (documents.length === 0) context.engine.ensureCollection(target.db, target.coll);
}

const WHEN_MATCHED = new Set(['merge', 'replace', 'keepExisting', 'fail']);
const WHEN_NOT_MATCHED = new Set(['insert', 'discard', 'fail']);

/** $merge on `_id`: whenMatched merge/replace/keepExisting/fail, whenNotMatched insert/discard/fail. */
function merge(results: Document[], spec: unknown, context: CommandContext): void {
  const options: Document = typeof spec === 'string' ? { into: spec } : isPlainObject(spec) ? spec : {};
  const target = targetOf(options.into, context.db, '$merge');
  const on = options.on ?? '_id';
  if (on !== '_id' && !(Array.isArray(on) && on.length === 1 && on[0] === '_id')) {
    throw new CommandError(
      ErrorCode.CommandNotSupported,
      "$merge 'on' fields other than _id are not supported by the embedded MongoDB server",
    );
  }
  const whenMatched = options.whenMatched ?? 'merge';
  const whenNotMatched = options.whenNotMatched ?? 'insert';
  if (typeof whenMatched !== 'string' || !WHEN_MATCHED.has(whenMatched)) {
    throw new CommandError(
      ErrorCode.CommandNotSupported,
      "$merge 'whenMatched' pipelines are not supported by the embedded MongoDB server",
    );
  }
  if (typeof whenNotMatched !== 'string' || !WHEN_NOT_MATCHED.has(whenNotMatched)) {
    throw new CommandError(
      ErrorCode.BadValue,
      `Enumeration value '${String(whenNotMatched)}' for field 'whenNotMatched' is not a valid value.`,
    );
  }
  for (const document of results.map(withId)) {
    const [existing] = context.data.find(target.db, target.coll, { _id: { $eq: document._id } });
    if (!existing) {
      if (whenNotMatched === 'fail') {
        throw new CommandError(
          ErrorCode.MergeStageNoMatchingDocument,
          '$merge could not find a matching document in the target collection for at least one document in the source collection',
        );
      }
      if (whenNotMatched === 'insert') context.data.insert(target.db, target.coll, document);
      continue;
    }
    if (whenMatched === 'fail') {
      throw (context.data.collection(target.db, target.coll) as Collection).duplicateIdError(document._id);
    }
    if (whenMatched === 'keepExisting') continue;
    const after = whenMatched === 'replace' ? document : { ...existing.doc, ...document };
    context.data.update(target.db, target.coll, existing, after, 'replace');
  }
}

/** Writes the pipeline's results as its last stage ($out or $merge) says. */
export function writeOutput(stage: Document, results: Document[], context: CommandContext): void {
  if (context.transaction) {
    throw new CommandError(
      ErrorCode.OperationNotSupportedInTransaction,
      `${Object.keys(stage)[0]} cannot be used in a transaction`,
    );
  }
  if ('$out' in stage) out(results, targetOf(stage.$out, context.db, '$out'), context);
  else merge(results, stage.$merge, context);
}

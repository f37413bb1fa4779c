import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { readDocuments, sortRecords } from '../query/read.js';
import { applyUpdate, isReplacement, upsertDocument } from '../query/update.js';
import type { UpdateSpec } from '../query/update.js';
import type { StoredDocument } from '../storage/collection.js';
import { isPlainObject } from '../values/kinds.js';
import { toView } from '../values/view.js';
import {
  collectionName,
  optionalBoolean,
  optionalDocument,
  optionalDocumentArray,
  operationCollation,
} from './arguments.js';
import type { CommandContext, CommandTable } from './context.js';
import { withLeadingId } from '../storage/leading-id.js';

function updateArgument(command: Document): UpdateSpec | undefined {
  const update: unknown = command.update;
  if (update === undefined || update === null) return undefined;
  if (isPlainObject(update) || (Array.isArray(update) && update.every(isPlainObject))) return update as UpdateSpec;
  throw new CommandError(ErrorCode.FailedToParse, 'Update argument must be either an object or an array');
}

function findAndModify(command: Document, context: CommandContext): Document {
  const coll = collectionName(command);
  context.data.refuseView(context.db, coll);
  const collation = operationCollation(command, context.data.collection(context.db, coll));
  const filter = optionalDocument(command, 'query') ?? {};
  const remove = optionalBoolean(command, 'remove') ?? false;
  const update = updateArgument(command);
  if (remove === (update !== undefined)) {
    throw new CommandError(ErrorCode.FailedToParse, 'Either an update or remove=true must be specified, but not both');
  }
  const filterView = toView(filter);
  const found = context.data.find(context.db, coll, filterView, collation);
  const target = sortRecords(found, optionalDocument(command, 'sort'), collation)[0];
  const returnNew = optionalBoolean(command, 'new') ?? false;
  const fields = optionalDocument(command, 'fields');
  const shown = (record: StoredDocument | undefined): Document | null =>
    record ? (readDocuments([record], { projection: fields })[0] ?? null) : null;

  if (remove) {
    if (target) context.data.remove(context.db, coll, target);
    return { lastErrorObject: { n: target ? 1 : 0 }, value: shown(target), ok: 1 };
  }
  const spec = update as UpdateSpec;
  const arrayFilters = optionalDocumentArray(command, 'arrayFilters');
  if (!target) {
    if (optionalBoolean(command, 'upsert') !== true) {
      return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
    }
    const inserted = context.data.insert(
      context.db,
      coll,
      withLeadingId(upsertDocument(filter, spec, arrayFilters, context.data.variables)),
    );
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: inserted.doc._id },
      value: returnNew ? shown(inserted) : null,
      ok: 1,
    };
  }
  const after = applyUpdate(target, spec, filterView, arrayFilters, { variables: context.data.variables, collation });
  const updated = after
    ? context.data.update(context.db, coll, target, after, isReplacement(spec) ? 'replace' : 'update')
    : target;
  return { lastErrorObject: { n: 1, updatedExisting: true }, value: shown(returnNew ? updated : target), ok: 1 };
}

export const findAndModifyCommands: CommandTable = {
  findAndModify,
  findandmodify: findAndModify,
};

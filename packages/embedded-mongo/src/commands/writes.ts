import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { applyUpdate, isReplacement, upsertDocument } from '../query/update.js';
import type { UpdateSpec } from '../query/update.js';
import { isPlainObject } from '../values/kinds.js';
import { toView } from '../values/view.js';
import {
  collectionName,
  documentArray,
  optionalBoolean,
  optionalDocumentArray,
  operationCollation,
  optionalNumber,
} from './arguments.js';
import type { CommandContext, CommandTable } from './context.js';
import { withLeadingId } from '../storage/leading-id.js';
import { takeReceivedBytes } from '../values/codec.js';
import { runWriteBatch, writeReply } from './write-batch.js';

function insert(command: Document, context: CommandContext): Document {
  const coll = collectionName(command);
  const documents = documentArray(command, 'documents');
  context.data.refuseView(context.db, coll);
  let inserted = 0;
  const writeErrors = runWriteBatch(documents, command.ordered !== false, context, (document) => {
    // Only a document that came with its _id is stored exactly as those bytes (with _id moved first).
    const received = document._id === undefined ? undefined : takeReceivedBytes(document);
    context.data.insert(context.db, coll, withLeadingId(document), received);
    inserted += 1;
  });
  return writeReply({ n: inserted }, writeErrors);
}

function updateSpec(statement: Document): UpdateSpec {
  const update: unknown = statement.u;
  if (Array.isArray(update) && update.every(isPlainObject)) return update as Document[];
  if (isPlainObject(update)) return update;
  throw new CommandError(ErrorCode.FailedToParse, 'Update argument must be either an object or an array');
}

function update(command: Document, context: CommandContext): Document {
  const coll = collectionName(command);
  const statements = documentArray(command, 'updates');
  context.data.refuseView(context.db, coll);
  // A sort in update statements arrived with MongoDB 8.0; the 7.0 this server speaks refuses the field.
  if (statements.some((statement) => statement.sort !== undefined)) {
    throw new CommandError(ErrorCode.IDLUnknownField, "BSON field 'update.updates.sort' is an unknown field.");
  }
  let matched = 0;
  let modified = 0;
  const upserted: Document[] = [];
  const writeErrors = runWriteBatch(statements, command.ordered !== false, context, (statement, index) => {
    const collation = operationCollation(statement, context.data.collection(context.db, coll));
    const filter = isPlainObject(statement.q) ? statement.q : {};
    const spec = updateSpec(statement);
    const multi = optionalBoolean(statement, 'multi') ?? false;
    const arrayFilters = optionalDocumentArray(statement, 'arrayFilters');
    if (multi && isReplacement(spec) && Object.keys(spec).length > 0) {
      throw new CommandError(ErrorCode.FailedToParse, 'multi update is not supported for replacement-style update');
    }
    const filterView = toView(filter);
    const found = context.data.find(context.db, coll, filterView, collation);
    const targets = multi ? found : found.slice(0, 1);
    if (targets.length === 0 && optionalBoolean(statement, 'upsert') === true) {
      const document = upsertDocument(filter, spec, arrayFilters, context.data.variables);
      context.data.insert(context.db, coll, document);
      matched += 1;
      upserted.push({ index, _id: document._id });
      return;
    }
    for (const target of targets) {
      matched += 1;
      const after = applyUpdate(target, spec, filterView, arrayFilters, {
        variables: context.data.variables,
        collation,
      });
      if (!after) continue;
      context.data.update(context.db, coll, target, after, isReplacement(spec) ? 'replace' : 'update');
      modified += 1;
    }
  });
  const counts: Document = { n: matched, nModified: modified };
  if (upserted.length > 0) counts.upserted = upserted;
  return writeReply(counts, writeErrors);
}

function remove(command: Document, context: CommandContext): Document {
  const coll = collectionName(command);
  const statements = documentArray(command, 'deletes');
  context.data.refuseView(context.db, coll);
  let deleted = 0;
  const writeErrors = runWriteBatch(statements, command.ordered !== false, context, (statement) => {
    const collation = operationCollation(statement, context.data.collection(context.db, coll));
    const filter = isPlainObject(statement.q) ? statement.q : {};
    const limit = optionalNumber(statement, 'limit') ?? 0;
    const found = context.data.find(context.db, coll, toView(filter), collation);
    for (const target of limit === 1 ? found.slice(0, 1) : found) {
      context.data.remove(context.db, coll, target);
      deleted += 1;
    }
  });
  return writeReply({ n: deleted }, writeErrors);
}

export const writeCommands: CommandTable = {
  insert,
  update,
  delete: remove,
};

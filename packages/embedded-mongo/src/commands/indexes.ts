import type { Document } from 'bson';
import { ArrayCursor, serveBatch } from '../cursors.js';
import { CommandError, ErrorCode } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import { defaultIndexName, parseIndexSpec } from '../storage/index-spec.js';
import { canonicalKey } from '../values/canonical.js';
import { isPlainObject } from '../values/kinds.js';
import { collectionName, documentArray, optionalDocument, optionalNumber } from './arguments.js';
import type { CommandContext, CommandTable } from './context.js';

/**
 * Inside a transaction, indexes may be created only on a collection the transaction creates (as
 * on MongoDB), and stay private to it until it commits.
 */
function createIndexes(command: Document, context: CommandContext): Document {
  const name = collectionName(command);
  context.data.refuseView(context.db, name);
  const existing = context.data.collection(context.db, name);
  // An index without a collation of its own takes the collection's default.
  const specs = documentArray(command, 'indexes').map((raw) => parseIndexSpec(raw, existing?.collation));
  if (specs.length === 0) throw new CommandError(ErrorCode.BadValue, 'Must specify at least one index to create');
  if (context.transaction && context.engine.catalog.collection(context.db, name)) {
    throw new CommandError(
      ErrorCode.OperationNotSupportedInTransaction,
      `Cannot create new indexes on existing collection ${context.db}.${name} in a multi-document transaction.`,
    );
  }
  const collection = existing ?? context.data.writableCollection(context.db, name);
  const before = collection.indexes.size + 1;
  const created = context.transaction
    ? specs.filter((spec) => collection.createIndex(spec)).length
    : context.engine.createIndexes(collection, specs);
  const reply: Document = {
    numIndexesBefore: before,
    numIndexesAfter: before + created,
    createdCollectionAutomatically: existing === undefined,
    ok: 1,
  };
  if (created === 0) reply.note = 'all indexes already exist';
  return reply;
}

function existingCollection(context: CommandContext, name: string): Collection {
  context.data.refuseView(context.db, name);
  const collection = context.engine.catalog.collection(context.db, name);
  if (!collection) throw new CommandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${context.db}.${name}`);
  return collection;
}

function listIndexes(command: Document, context: CommandContext): Promise<Document> {
  const collection = existingCollection(context, collectionName(command));
  const cursor = new ArrayCursor(collection.namespace, collection.describeIndexes());
  const batchSize = optionalNumber(optionalDocument(command, 'cursor') ?? {}, 'batchSize');
  return serveBatch(context.engine.cursors, cursor, { batchSize, signal: context.connection.signal });
}

/** The names dropIndexes refers to: "*" for all but _id_, a name, a list of names, or a key pattern. */
function indexNames(collection: Collection, target: unknown): string[] {
  if (target === '*') return [...collection.indexes.keys()];
  if (typeof target === 'string') return [target];
  if (Array.isArray(target) && target.every((name) => typeof name === 'string')) return target as string[];
  if (isPlainObject(target)) {
    const match = [...collection.indexes.values()].find(
      (table) => canonicalKey(table.spec.key) === canonicalKey(target),
    );
    if (!match)
      throw new CommandError(ErrorCode.IndexNotFound, `can't find index with key: ${defaultIndexName(target)}`);
    return [match.spec.name];
  }
  throw new CommandError(
    ErrorCode.TypeMismatch,
    'dropIndexes: index must be a string, an array of strings or an object',
  );
}

function dropIndexes(command: Document, context: CommandContext): Document {
  const collection = existingCollection(context, collectionName(command));
  const before = collection.indexes.size + 1;
  context.engine.dropIndexes(collection, indexNames(collection, command.index));
  return { nIndexesWas: before, ok: 1 };
}

export const indexCommands: CommandTable = {
  createIndexes,
  listIndexes,
  dropIndexes,
};

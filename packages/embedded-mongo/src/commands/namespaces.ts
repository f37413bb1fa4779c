import type { Document } from 'bson';
import { ArrayCursor, serveBatch } from '../cursors.js';
import { CommandError, ErrorCode } from '../errors.js';
import { compileFilter } from '../query/mingo.js';
import type { Collection } from '../storage/collection.js';
import { toView } from '../values/view.js';
import { collectionName, commandOptions, optionalBoolean, optionalDocument, optionalNumber } from './arguments.js';
import type { CommandContext, CommandTable } from './context.js';

function listDatabases(command: Document, context: CommandContext): Document {
  const filter = compileFilter(toView(optionalDocument(command, 'filter') ?? {}));
  const nameOnly = optionalBoolean(command, 'nameOnly') ?? false;
  const databases = context.engine.catalog
    .databaseNames()
    .map((name) => (nameOnly ? { name } : { name, sizeOnDisk: 0, empty: false }))
    .filter((entry) => filter.test(entry));
  return nameOnly ? { databases, ok: 1 } : { databases, totalSize: 0, totalSizeMb: 0, ok: 1 };
}

function describeCollection(collection: Collection, nameOnly: boolean): Document {
  if (nameOnly) return { name: collection.name, type: 'collection' };
  return {
    name: collection.name,
    type: 'collection',
    options: collection.options,
    info: { readOnly: false, uuid: collection.uuid },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  };
}

function listCollections(command: Document, context: CommandContext): Promise<Document> {
  const filter = compileFilter(toView(optionalDocument(command, 'filter') ?? {}));
  const nameOnly = optionalBoolean(command, 'nameOnly') ?? false;
  const entries = context.engine.catalog
    .collections(context.db)
    .map((collection) => describeCollection(collection, nameOnly))
    .filter((entry) => filter.test(toView(entry)));
  const cursor = new ArrayCursor(`${context.db}.$cmd.listCollections`, entries);
  const batchSize = optionalNumber(optionalDocument(command, 'cursor') ?? {}, 'batchSize');
  return serveBatch(context.engine.cursors, cursor, { batchSize, signal: context.connection.signal });
}

/** Inside a transaction the new collection stays private to it until it commits. */
function create(command: Document, context: CommandContext): Document {
  const name = collectionName(command);
  const options = commandOptions(command, 'create');
  if (!context.transaction) {
    context.engine.createCollection(context.db, name, options);
    return { ok: 1 };
  }
  if (context.data.collection(context.db, name)) {
    throw new CommandError(ErrorCode.NamespaceExists, `Collection ${context.db}.${name} already exists.`);
  }
  context.data.createInTransaction(context.db, name, options);
  return { ok: 1 };
}

function drop(command: Document, context: CommandContext): Document {
  const name = collectionName(command);
  const dropped = context.engine.dropCollection(context.db, name);
  if (!dropped) return { ok: 1 };
  return { nIndexesWas: dropped.indexes.size + 1, ns: dropped.namespace, ok: 1 };
}

function dropDatabase(_command: Document, context: CommandContext): Document {
  context.engine.dropDatabase(context.db);
  return { dropped: context.db, ok: 1 };
}

export const namespaceCommands: CommandTable = {
  listDatabases,
  listCollections,
  create,
  drop,
  dropDatabase,
};

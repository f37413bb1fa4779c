import type { Document } from 'bson';
import { ArrayCursor, serveBatch } from '../cursors.js';
import { CommandError, ErrorCode } from '../errors.js';
import { compileFilter } from '../query/mingo.js';
import type { Collection } from '../storage/collection.js';
import { canonicalKey } from '../values/canonical.js';
import { toView } from '../values/view.js';
import { collectionName, commandOptions, optionalBoolean, optionalDocument, optionalNumber } from './arguments.js';
import type { CommandContext, CommandTable } from './context.js';
import { modifiedView, parseView, viewOptions } from '../views.js';
import type { View } from '../views.js';

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

function describeView(view: View, nameOnly: boolean): Document {
  if (nameOnly) return { name: view.name, type: 'view' };
  return { name: view.name, type: 'view', options: viewOptions(view), info: { readOnly: true } };
}

function listCollections(command: Document, context: CommandContext): Promise<Document> {
  const filter = compileFilter(toView(optionalDocument(command, 'filter') ?? {}));
  const nameOnly = optionalBoolean(command, 'nameOnly') ?? false;
  const { catalog } = context.engine;
  const entries = [
    ...catalog.collections(context.db).map((collection) => describeCollection(collection, nameOnly)),
    ...catalog.views(context.db).map((view) => describeView(view, nameOnly)),
  ].filter((entry) => filter.test(toView(entry)));
  const cursor = new ArrayCursor(`${context.db}.$cmd.listCollections`, entries);
  const batchSize = optionalNumber(optionalDocument(command, 'cursor') ?? {}, 'batchSize');
  return serveBatch(context.engine.cursors, cursor, { batchSize, signal: context.connection.signal });
}

/**
 * A collection, or with `viewOn` a view. Inside a transaction the new collection stays private to
 * it until it commits; a view may not be created in one.
 */
function create(command: Document, context: CommandContext): Document {
  const name = collectionName(command);
  const options = commandOptions(command, 'create');
  if (options.viewOn !== undefined) {
    if (context.transaction) {
      throw new CommandError(
        ErrorCode.OperationNotSupportedInTransaction,
        'Cannot create a view in a multi-document transaction.',
      );
    }
    context.engine.defineView(parseView(context.db, name, options));
    return { ok: 1 };
  }
  if (context.engine.catalog.view(context.db, name)) {
    throw new CommandError(ErrorCode.NamespaceExists, `Collection ${context.db}.${name} already exists.`);
  }
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
  if (context.engine.dropView(context.db, name)) return { ns: `${context.db}.${name}`, ok: 1 };
  const dropped = context.engine.dropCollection(context.db, name);
  if (!dropped) return { ok: 1 };
  return { nIndexesWas: dropped.indexes.size + 1, ns: dropped.namespace, ok: 1 };
}

function dropDatabase(_command: Document, context: CommandContext): Document {
  context.engine.dropDatabase(context.db);
  return { dropped: context.db, ok: 1 };
}

function splitNamespace(value: unknown, field: string): { db: string; coll: string } {
  const dot = typeof value === 'string' ? value.indexOf('.') : -1;
  if (typeof value !== 'string' || dot <= 0 || dot === value.length - 1) {
    throw new CommandError(ErrorCode.InvalidNamespace, `Invalid ${field} namespace: ${String(value)}`);
  }
  return { db: value.slice(0, dot), coll: value.slice(dot + 1) };
}

/** `{ renameCollection: 'db.from', to: 'db.to', dropTarget }`, run against admin as on mongod. */
function renameCollection(command: Document, context: CommandContext): Document {
  if (context.db !== 'admin') {
    throw new CommandError(ErrorCode.Unauthorized, 'renameCollection may only be run against the admin database.');
  }
  const source = splitNamespace(command.renameCollection, 'source');
  const target = splitNamespace(command.to, 'target');
  const dropTarget = optionalBoolean(command, 'dropTarget') ?? false;
  context.engine.renameCollection({ op: 'rename', ...source, toDb: target.db, toColl: target.coll, dropTarget });
  return { ok: 1 };
}

const COLL_MOD_OPTIONS = new Set(['validator', 'validationLevel', 'validationAction', 'changeStreamPreAndPostImages']);
const COLL_MOD_INDEX_OPTIONS = new Set(['expireAfterSeconds', 'hidden']);

/** collMod: the validator, validation level and action, and an index's expireAfterSeconds or hidden flag. */
function collMod(command: Document, context: CommandContext): Document {
  const name = collectionName(command);
  const view = context.engine.catalog.view(context.db, name);
  if (view) return modifyView(view, command, context);
  for (const option of ['viewOn', 'pipeline']) {
    if (command[option] !== undefined) {
      throw new CommandError(ErrorCode.InvalidOptions, `option '${option}' is only supported on views`);
    }
  }
  const collection = context.engine.catalog.collection(context.db, name);
  if (!collection) throw new CommandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${context.db}.${name}`);
  const options: Document = {};
  for (const [field, value] of Object.entries(commandOptions(command, 'collMod'))) {
    if (field === 'index') continue;
    if (!COLL_MOD_OPTIONS.has(field)) {
      throw new CommandError(
        ErrorCode.InvalidOptions,
        `collMod option '${field}' is not supported by the embedded MongoDB server`,
      );
    }
    options[field] = value;
  }
  const index = optionalDocument(command, 'index');
  const change = index && indexChange(collection, index);
  const before = context.engine.modifyCollection(collection, options, change);
  const reply: Document = {};
  for (const [field, value] of Object.entries(change?.options ?? {})) {
    reply[`${field}_old`] = before[field];
    reply[`${field}_new`] = value;
  }
  return { ...reply, ok: 1 };
}

/** collMod of a view: a new `viewOn` and/or `pipeline`, checked as at create. */
function modifyView(view: View, command: Document, context: CommandContext): Document {
  const changes = commandOptions(command, 'collMod');
  for (const option of Object.keys(changes)) {
    if (option !== 'viewOn' && option !== 'pipeline') {
      throw new CommandError(ErrorCode.InvalidOptions, `option '${option}' is not supported on a view`);
    }
  }
  context.engine.defineView(modifiedView(view, changes), true);
  return { ok: 1 };
}

/** The index a collMod names (by name or key pattern) and its options to change. */
function indexChange(collection: Collection, index: Document): { name: string; options: Document } {
  const table =
    typeof index.name === 'string'
      ? collection.indexes.get(index.name)
      : [...collection.indexes.values()].find(
          (candidate) => canonicalKey(candidate.spec.key) === canonicalKey(index.keyPattern),
        );
  if (!table) throw new CommandError(ErrorCode.IndexNotFound, `cannot find index for ns ${collection.namespace}`);
  const options: Document = {};
  for (const [field, value] of Object.entries(index)) {
    if (field === 'name' || field === 'keyPattern') continue;
    if (!COLL_MOD_INDEX_OPTIONS.has(field)) {
      throw new CommandError(
        ErrorCode.InvalidOptions,
        `collMod index option '${field}' is not supported by the embedded MongoDB server`,
      );
    }
    options[field] = value;
  }
  return { name: table.spec.name, options };
}

export const namespaceCommands: CommandTable = {
  listDatabases,
  listCollections,
  create,
  drop,
  dropDatabase,
  renameCollection,
  collMod,
};

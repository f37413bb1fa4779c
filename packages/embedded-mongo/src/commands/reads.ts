import { Long } from 'bson';
import type { Document } from 'bson';
import { compare } from 'mingo/util';
import { ChangeStreamCursor } from '../change-streams/cursor.js';
import { ArrayCursor, serveBatch } from '../cursors.js';
import { CommandError, ErrorCode } from '../errors.js';
import type { Collation } from '../query/collation.js';
import { collatorFor } from '../query/collator.js';
import { readDocuments } from '../query/read.js';
import { canonicalKey } from '../values/canonical.js';
import { bsonType } from '../values/kinds.js';
import { pathValues } from '../values/paths.js';
import { numericValue, toView } from '../values/view.js';
import { collectionName, operationCollation, optionalBoolean, optionalDocument, optionalNumber } from './arguments.js';
import type { CommandContext, CommandTable } from './context.js';
import { readView } from './view-reads.js';
import { viewReadCollation } from '../views.js';

/** The server's default size of a cursor's first batch. */
export const DEFAULT_FIRST_BATCH_SIZE = 101;

function find(command: Document, context: CommandContext): Promise<Document> {
  const coll = collectionName(command);
  const filter = optionalDocument(command, 'filter') ?? {};
  const limit = optionalNumber(command, 'limit') ?? 0;
  const options = {
    sort: optionalDocument(command, 'sort'),
    skip: optionalNumber(command, 'skip'),
    limit: Math.abs(limit),
    projection: optionalDocument(command, 'projection'),
  };
  const view = context.engine.catalog.view(context.db, coll);
  let documents: Document[];
  if (view) documents = readView(view, command, { filter, ...options }, context);
  else {
    const collation = operationCollation(command, context.data.collection(context.db, coll));
    const records = context.data.find(context.db, coll, toView(filter), collation);
    documents = readDocuments(records, { ...options, collation });
  }
  const cursor = new ArrayCursor(`${context.db}.${coll}`, documents);
  return serveBatch(context.engine.cursors, cursor, {
    batchSize: optionalNumber(command, 'batchSize') ?? DEFAULT_FIRST_BATCH_SIZE,
    singleBatch: (optionalBoolean(command, 'singleBatch') ?? false) || limit < 0,
    signal: context.connection.signal,
  });
}

function cursorId(value: unknown): Long {
  if (bsonType(value) === 'Long') return value as Long;
  const number = numericValue(value);
  if (number === undefined)
    throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'getMore' is the wrong type, expected type 'long'");
  return Long.fromNumber(number);
}

function getMore(command: Document, context: CommandContext): Promise<Document> {
  const id = cursorId(command.getMore);
  const batchSize = optionalNumber(command, 'batchSize');
  const cursor = context.engine.cursors.get(id);
  const injected = context.engine.failPoints.takeGetMoreError(cursor instanceof ChangeStreamCursor);
  if (injected) {
    // A getMore that fails ends its cursor.
    context.engine.cursors.kill(id);
    throw injected;
  }
  return serveBatch(context.engine.cursors, cursor, {
    id,
    batchSize: batchSize === 0 ? undefined : batchSize,
    maxTimeMS: optionalNumber(command, 'maxTimeMS'),
    signal: context.connection.signal,
  });
}

function killCursors(command: Document, context: CommandContext): Document {
  const ids: unknown = command.cursors;
  if (!Array.isArray(ids))
    throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'cursors' is missing or not an array");
  const killed: Long[] = [];
  const notFound: Long[] = [];
  for (const value of ids) {
    const id = cursorId(value);
    (context.engine.cursors.kill(id) ? killed : notFound).push(id);
  }
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
}

function count(command: Document, context: CommandContext): Document {
  const coll = collectionName(command);
  const query = optionalDocument(command, 'query') ?? {};
  const view = context.engine.catalog.view(context.db, coll);
  const matched = view
    ? readView(view, command, { filter: query }, context).length
    : context.data.find(
        context.db,
        coll,
        toView(query),
        operationCollation(command, context.data.collection(context.db, coll)),
      ).length;
  const skip = optionalNumber(command, 'skip') ?? 0;
  const limit = Math.abs(optionalNumber(command, 'limit') ?? 0);
  const n = Math.max(0, matched - skip);
  return { n: limit > 0 ? Math.min(n, limit) : n, ok: 1 };
}

function distinct(command: Document, context: CommandContext): Document {
  const coll = collectionName(command);
  const key: unknown = command.key;
  if (typeof key !== 'string' || key === '')
    throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'key' must be a non-empty string");
  const query = optionalDocument(command, 'query') ?? {};
  const view = context.engine.catalog.view(context.db, coll);
  if (view) {
    const documents = readView(view, command, { filter: query }, context);
    return { values: distinctValues(documents, key, viewReadCollation(view, command.collation)), ok: 1 };
  }
  const collation = operationCollation(command, context.data.collection(context.db, coll));
  const records = context.data.find(context.db, coll, toView(query), collation);
  return {
    values: distinctValues(
      records.map((record) => record.doc),
      key,
      collation,
    ),
    ok: 1,
  };
}

/** The distinct values of a path, in order; under a collation, one value (the first found) per class of equal ones. */
export function distinctValues(
  documents: readonly Document[],
  path: string,
  collation: Collation | undefined,
): unknown[] {
  const collator = collation && collatorFor(collation);
  const values = new Map<string, unknown>();
  for (const document of documents) {
    for (const value of pathValues(document, path)) {
      const canonical = canonicalKey(collator ? collator.key(toView(value)) : value);
      if (!values.has(canonical)) values.set(canonical, value);
    }
  }
  const order = collator ? (a: unknown, b: unknown) => collator.compare(a, b) : compare;
  return [...values.values()].sort((a, b) => order(toView(a), toView(b)));
}

export const readCommands: CommandTable = {
  find,
  getMore,
  killCursors,
  count,
  distinct,
};

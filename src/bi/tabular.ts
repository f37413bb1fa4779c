import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  typeFromAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { type Options, stringify } from 'csv-stringify/sync';
import { OperationDocumentError } from './manifest.js';
import { isRecord } from './is-record.js';

/*
 * How the result of a trusted operation becomes rows, for the CSV and NDJSON exports. The shape comes
 * from the operation and the schema, not from the data, so that the header of an export is the same
 * whether it has no rows or a million. The operation must select exactly one root field, holding:
 * - a list of objects (`reservationStats { key visitors }`): one row per item;
 * - a connection (`parks { nodes { … } }` or `parks { edges { node { … } } }`): one row per node. When
 *   the connection also selects `pageInfo { hasNextPage endCursor }` and the operation declares an
 *   `$after` variable, the export reads every page in turn.
 * A column is the dotted path of a leaf (`park.name`, aliases as the response names them); a list
 * inside a row stays one column holding its JSON.
 */

export type RowSource = { kind: 'list' } | { kind: 'connection'; via: 'nodes' | 'edges' };

export interface TabularShape {
  operation: OperationDefinitionNode;
  /** The response key of the root field. */
  rootKey: string;
  source: RowSource;
  /** Dotted paths, as arrays of response keys. */
  columns: string[][];
  /** True when the export can follow `pageInfo.endCursor` through `$after`. */
  pageable: boolean;
}

export interface Page {
  rows: unknown[];
  /** The cursor of the next page, when there is one and the operation can ask for it. */
  nextCursor: string | null;
}

const responseKey = (field: { alias?: { value: string } | undefined; name: { value: string } }) =>
  field.alias?.value ?? field.name.value;

class ShapeReader {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  ) {}

  /** The fields of a selection set, fragments flattened, each with its output type. */
  fields(selectionSet: SelectionSetNode, parent: GraphQLCompositeType) {
    const out: Array<{ key: string; type: GraphQLOutputType; selectionSet: SelectionSetNode | undefined }> = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') {
          out.push({
            key: responseKey(selection),
            type: this.schema.getType('String') as GraphQLOutputType,
            selectionSet: undefined,
          });
          continue;
        }
        const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
        if (!definition) throw new OperationDocumentError(`cannot read ${parent.name}.${name}`);
        out.push({ key: responseKey(selection), type: definition.type, selectionSet: selection.selectionSet });
      } else {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? this.fragments.get(selection.name.value) : selection;
        if (!fragment) throw new OperationDocumentError('unknown fragment');
        const condition = fragment.typeCondition ? this.schema.getType(fragment.typeCondition.name.value) : parent;
        if (!condition || !isCompositeType(condition)) throw new OperationDocumentError('bad fragment type condition');
        out.push(...this.fields(fragment.selectionSet, condition));
      }
    }
    return out;
  }

  /** The leaf columns under a selection: objects are walked into, lists and scalars are one column. */
  columns(
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    prefix: string[],
    out: Map<string, string[]>,
  ): void {
    for (const field of this.fields(selectionSet, parent)) {
      const path = [...prefix, field.key];
      const nullable = getNullableType(field.type);
      const named = getNamedType(field.type);
      if (field.selectionSet && !isListType(nullable) && isCompositeType(named)) {
        this.columns(field.selectionSet, named, path, out);
      } else {
        out.set(path.join('.'), path);
      }
    }
  }
}

/** The rows an operation's result holds, or OperationDocumentError when it holds no list to export. */
export function tabularShape(schema: GraphQLSchema, document: DocumentNode): TabularShape {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const queryType = schema.getQueryType();
  if (operation?.operation !== 'query' || !queryType) throw new OperationDocumentError('is not a query');
  const fragments = new Map(
    document.definitions.flatMap((definition) =>
      definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [],
    ),
  );
  const reader = new ShapeReader(schema, fragments);
  const roots = reader.fields(operation.selectionSet, queryType).filter((field) => field.key !== '__typename');
  const [root] = roots;
  const notTabular = () =>
    new OperationDocumentError('must select exactly one root field holding a list or a connection');
  if (!root || roots.length !== 1 || !root.selectionSet) throw notTabular();
  const rootType = getNullableType(root.type);
  const columns = new Map<string, string[]>();
  if (isListType(rootType)) {
    const item = getNamedType(rootType);
    if (!isCompositeType(item)) throw notTabular();
    reader.columns(root.selectionSet, item, [], columns);
    return { operation, rootKey: root.key, source: { kind: 'list' }, columns: [...columns.values()], pageable: false };
  }
  const connectionType = getNamedType(rootType);
  if (!isCompositeType(connectionType)) throw notTabular();
  const parts = reader.fields(root.selectionSet, connectionType);
  const nodes = parts.find(
    (part) => part.key === 'nodes' && part.selectionSet && isListType(getNullableType(part.type)),
  );
  const edges = parts.find(
    (part) => part.key === 'edges' && part.selectionSet && isListType(getNullableType(part.type)),
  );
  let source: RowSource;
  if (nodes?.selectionSet) {
    const item = getNamedType(nodes.type);
    if (!isCompositeType(item)) throw notTabular();
    reader.columns(nodes.selectionSet, item, [], columns);
    source = { kind: 'connection', via: 'nodes' };
  } else if (edges?.selectionSet) {
    const edgeType = getNamedType(edges.type);
    if (!isCompositeType(edgeType)) throw notTabular();
    const node = reader.fields(edges.selectionSet, edgeType).find((part) => part.key === 'node' && part.selectionSet);
    const item = node && getNamedType(node.type);
    if (!node?.selectionSet || !item || !isCompositeType(item)) throw notTabular();
    reader.columns(node.selectionSet, item, [], columns);
    source = { kind: 'connection', via: 'edges' };
  } else {
    throw notTabular();
  }
  const pageInfo = parts.find((part) => part.key === 'pageInfo' && part.selectionSet);
  const pageKeys = new Set(
    pageInfo?.selectionSet && isCompositeType(getNamedType(pageInfo.type))
      ? reader
          .fields(pageInfo.selectionSet, getNamedType(pageInfo.type) as GraphQLCompositeType)
          .map((part) => part.key)
      : [],
  );
  const declaresAfter = (operation.variableDefinitions ?? []).some((definition) => {
    const type = typeFromAST(schema, definition.type);
    return definition.variable.name.value === 'after' && type !== undefined && getNamedType(type).name === 'String';
  });
  const pageable = declaresAfter && pageKeys.has('hasNextPage') && pageKeys.has('endCursor');
  return { operation, rootKey: root.key, source, columns: [...columns.values()], pageable };
}

/** The rows of one result (`data`) of the operation, and the cursor of the next page if it is to be read. */
export function pageOf(shape: TabularShape, data: unknown): Page {
  const root = isRecord(data) ? data[shape.rootKey] : undefined;
  if (shape.source.kind === 'list') return { rows: Array.isArray(root) ? root : [], nextCursor: null };
  if (!isRecord(root)) return { rows: [], nextCursor: null };
  const rows =
    shape.source.via === 'nodes'
      ? Array.isArray(root.nodes)
        ? root.nodes
        : []
      : (Array.isArray(root.edges) ? root.edges : []).map((edge: unknown) => (isRecord(edge) ? edge.node : null));
  const pageInfo = isRecord(root.pageInfo) ? root.pageInfo : null;
  const nextCursor =
    shape.pageable && pageInfo?.hasNextPage === true && typeof pageInfo.endCursor === 'string'
      ? pageInfo.endCursor
      : null;
  return { rows, nextCursor };
}

function valueAt(row: unknown, path: readonly string[]): unknown {
  let value: unknown = row;
  for (const key of path) {
    if (!isRecord(value)) return null;
    value = value[key];
  }
  return value;
}

/**
 * CSV through csv-stringify: RFC 4180 (a field holding a comma, a quote, CR or LF is quoted, quotes
 * doubled), lines ending in CRLF. `escape_formulas` neutralises a text a spreadsheet would read as a
 * formula (OWASP's CSV injection list: `=`, `+`, `-`, `@`, a tab or a carriage return first, and their
 * full-width forms) with a leading `'`, which spreadsheets show as text; numbers are written as they
 * are (a negative number is data, not a formula). Null is an empty field, a boolean `true`/`false`, a
 * list its JSON.
 */
const CSV_OPTIONS: Options = {
  record_delimiter: 'windows',
  // A lone CR or LF inside a field is quoted too (the default does so only without record_delimiter).
  quote_record_delimiter: true,
  escape_formulas: true,
  cast: { boolean: (value) => String(value) },
};

export const csvHeader = (shape: TabularShape): string =>
  stringify([shape.columns.map((path) => path.join('.'))], CSV_OPTIONS);

export const csvRows = (shape: TabularShape, rows: readonly unknown[]): string =>
  stringify(
    rows.map((row) => shape.columns.map((path) => valueAt(row, path))),
    CSV_OPTIONS,
  );

/** NDJSON: each row as the operation returned it, one JSON object per line. */
export const ndjsonRows = (rows: readonly unknown[]): string => rows.map((row) => `${JSON.stringify(row)}\n`).join('');

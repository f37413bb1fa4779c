import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Kind,
  print,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { isRecord } from './is-record.js';

/*
 * The trusted operations of the repository (schema/operations/*.graphql), compiled by `npm run codegen`
 * (codegen.ts) into an Apollo persisted query manifest, the format Apollo's own tooling
 * (generate-persisted-query-manifest, GraphOS safelisting, Router) reads and writes:
 * `{ format, version: 1, operations: [{ id, name, type, body }] }`, where `id` is the SHA-256 (hex)
 * of `body` and is what a client sends as `extensions.persistedQuery.sha256Hash`.
 */

export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';

/** The manifest at the repository root, resolved from this module so the working directory does not matter. */
export const MANIFEST_PATH = fileURLToPath(new URL('../../persisted-query-manifest.json', import.meta.url));

export type OperationType = 'query' | 'mutation' | 'subscription';

export interface ManifestOperation {
  /** SHA-256 of `body`, lower-case hex. */
  id: string;
  name: string;
  type: OperationType;
  body: string;
}

export interface PersistedQueryManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  operations: ManifestOperation[];
}

/** An operation of a document, printed in the one normal form its hash is taken of. */
export interface NormalizedOperation {
  name: string;
  type: OperationType;
  /** The operation and the fragments it uses (sorted by name), as graphql-js prints them: no comments, one layout. */
  body: string;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Code-point order, the same on every machine (localeCompare is not), and the database's order of names. */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Thrown for a document that cannot be a trusted operation; the message says why. */
export class OperationDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationDocumentError';
  }
}

function fragmentsUsedBy(
  root: DefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const pending: DefinitionNode[] = [root];
  while (pending.length > 0) {
    const next = pending.pop() as DefinitionNode;
    visit(next, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        const fragment = fragments.get(name);
        if (!fragment) throw new OperationDocumentError(`unknown fragment ${name}`);
        if (!used.has(name)) {
          used.set(name, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return [...used.values()].sort((a, b) => byCodePoint(a.name.value, b.name.value));
}

/**
 * Every operation of these documents, each with the fragments it uses, in normal form. Operations
 * must be named, and operation and fragment names unique across the documents (a manifest entry, a
 * CSV route and an API key's operation list all name an operation).
 */
export function normalizeOperations(documents: readonly DocumentNode[]): NormalizedOperation[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const definition of documents.flatMap((document) => document.definitions)) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      if (fragments.has(definition.name.value)) {
        throw new OperationDocumentError(`fragment ${definition.name.value} is defined twice`);
      }
      fragments.set(definition.name.value, definition);
    } else if (definition.kind === Kind.OPERATION_DEFINITION) {
      if (!definition.name) throw new OperationDocumentError('every operation must have a name');
      if (operations.some((operation) => operation.name?.value === definition.name?.value)) {
        throw new OperationDocumentError(`operation ${definition.name.value} is defined twice`);
      }
      operations.push(definition);
    } else {
      throw new OperationDocumentError('only operations and fragments belong in an operation document');
    }
  }
  return operations.map((operation) => ({
    name: operation.name?.value ?? '',
    type: operation.operation as OperationType,
    body: print({ kind: Kind.DOCUMENT, definitions: [operation, ...fragmentsUsedBy(operation, fragments)] }),
  }));
}

/**
 * The manifest of the repository's trusted operations, sorted by name. Only queries are trusted: a
 * BI tool polls reads, and a persisted mutation would be a write anyone holding the key can replay.
 */
export function buildManifest(documents: readonly DocumentNode[]): PersistedQueryManifest {
  const operations = normalizeOperations(documents)
    .map((operation) => {
      if (operation.type !== 'query') {
        throw new OperationDocumentError(
          `${operation.name} is a ${operation.type}: only queries can be trusted operations`,
        );
      }
      return { id: sha256Hex(operation.body), ...operation };
    })
    .sort((a, b) => byCodePoint(a.name, b.name));
  return { format: MANIFEST_FORMAT, version: 1, operations };
}

/** The manifest as written to disk: two-space JSON and a final newline, so that diffs stay readable. */
export const serializeManifest = (manifest: PersistedQueryManifest): string => `${JSON.stringify(manifest, null, 2)}\n`;

/**
 * GraphQL Code Generator plugin writing the manifest of the documents of its output (codegen.ts).
 * Codegen has already validated the documents against the schema when it calls this.
 */
export const persistedQueryManifestPlugin = {
  plugin: (_schema: GraphQLSchema, documents: ReadonlyArray<{ document?: DocumentNode }>): string =>
    serializeManifest(buildManifest(documents.flatMap((file) => (file.document ? [file.document] : [])))),
};

/** A manifest read from JSON, its shape and every `id` checked against its `body`. */
export function parseManifest(value: unknown): PersistedQueryManifest {
  if (!isRecord(value) || value.format !== MANIFEST_FORMAT || value.version !== 1 || !Array.isArray(value.operations)) {
    throw new OperationDocumentError(`not an ${MANIFEST_FORMAT} version 1`);
  }
  const operations = value.operations.map((entry: unknown, index): ManifestOperation => {
    if (
      !isRecord(entry) ||
      typeof entry.id !== 'string' ||
      typeof entry.name !== 'string' ||
      typeof entry.body !== 'string' ||
      (entry.type !== 'query' && entry.type !== 'mutation' && entry.type !== 'subscription')
    ) {
      throw new OperationDocumentError(`operations[${index}] is not { id, name, type, body }`);
    }
    if (entry.id !== sha256Hex(entry.body)) {
      throw new OperationDocumentError(`operations[${index}] (${entry.name}): id is not the SHA-256 of body`);
    }
    return { id: entry.id, name: entry.name, type: entry.type, body: entry.body };
  });
  return { format: MANIFEST_FORMAT, version: 1, operations };
}

export function loadManifest(path: string = MANIFEST_PATH): PersistedQueryManifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new OperationDocumentError(`${path} is missing: run npm run codegen`);
  }
  return parseManifest(JSON.parse(text) as unknown);
}

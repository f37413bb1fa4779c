import {
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { stripSuggestions } from '../limits/hide-suggestions.js';
import { queryLimitRules, queryParseOptions } from '../limits/query-limits.js';
import { normalizeOperations, OperationDocumentError, type NormalizedOperation } from './manifest.js';

/** A GraphQL name: what an operation name, a CSV file name and an API key's operation list hold. */
export const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/** Characters of a registered document at most; the parser's token limit applies as well. */
export const MAX_DOCUMENT_LENGTH = 20_000;

let limitRules: ValidationRule[] | null = null;
function rules(): ValidationRule[] {
  limitRules ??= queryLimitRules();
  return [...specifiedRules, ...limitRules];
}

export interface CheckedOperation extends NormalizedOperation {
  document: DocumentNode;
}

/**
 * A document that can be a trusted operation, or an OperationDocumentError saying why not: exactly one
 * named query (and the fragments it uses), valid against the schema and within the query limits
 * (src/limits/query-limits.ts), the very checks Apollo runs on every request. The result is in the
 * normal form its hash is taken of.
 */
export function checkTrustedOperation(schema: GraphQLSchema, source: string): CheckedOperation {
  if (source.length > MAX_DOCUMENT_LENGTH) {
    throw new OperationDocumentError(`is longer than ${MAX_DOCUMENT_LENGTH} characters`);
  }
  let parsed: DocumentNode;
  try {
    parsed = parse(source, queryParseOptions);
  } catch (error) {
    if (error instanceof GraphQLError) throw new OperationDocumentError(`does not parse: ${error.message}`);
    throw error;
  }
  const operations = normalizeOperations([parsed]);
  const [operation] = operations;
  if (operation === undefined || operations.length !== 1) {
    throw new OperationDocumentError('must hold exactly one operation');
  }
  if (operation.type !== 'query') {
    throw new OperationDocumentError(`holds a ${operation.type}: only queries can be trusted operations`);
  }
  const document = parse(operation.body);
  const errors = validate(schema, document, rules());
  if (errors.length > 0) {
    throw new OperationDocumentError(
      `is not valid: ${errors.map((error) => stripSuggestions(error.message)).join(' ')}`,
    );
  }
  return { ...operation, document };
}

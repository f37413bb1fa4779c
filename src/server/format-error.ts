import type { GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { ErrorCode, isAppError } from '../errors.js';
import { stripSuggestions } from '../limits/hide-suggestions.js';

/** Apollo's own request-level codes, mapped onto the contract's: they all mean the request was wrong. */
const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.BAD_USER_INPUT,
  ApolloServerErrorCode.BAD_REQUEST,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
]);

const PASS_THROUGH_CODES: ReadonlySet<string> = new Set([ErrorCode.PERSISTED_QUERY_NOT_FOUND]);

export type ErrorReporter = (error: unknown) => void;

/**
 * The last word on every error that leaves the server: it carries a contract code, and nothing else
 * of an unexpected error (message, stack, driver text, ids) is shown; such errors are reported to the log.
 */
export function createFormatError(report: ErrorReporter) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (isAppError(original)) {
      const { http: _status, ...extensions } = original.extensions;
      return { message: stripSuggestions(original.message), path: formatted.path, extensions };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH_CODES.has(code)) {
      return { message: formatted.message, extensions: { code } };
    }
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      return {
        message: stripSuggestions(formatted.message),
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: ErrorCode.BAD_USER_INPUT },
      };
    }
    report(original);
    return {
      message: 'Internal server error',
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

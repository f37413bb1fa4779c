import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode, httpStatusOf, isErrorCode, toClientError, type AppError } from '../errors.js';
import { stripSuggestions } from '../limits/hide-suggestions.js';

export interface ErrorReporter {
  /** A bug or an unknown failure: logged with its cause, never shown to the caller. */
  unexpected(error: unknown): void;
  /** The database did not answer in time: the caller was told SERVICE_UNAVAILABLE. */
  unavailable(error: unknown): void;
}

/**
 * The last word on every error that leaves the server, over HTTP and WebSocket alike: the client's
 * error of src/errors.ts (a contract code, a safe message, nothing of a stack, a driver or another
 * tenant), and its cause reported to the log when it is one the operators must see.
 */
export function createFormatError(report: ErrorReporter) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const clientError = toClientError(error);
    if (clientError.code === ErrorCode.INTERNAL_SERVER_ERROR) report.unexpected(clientError.cause ?? error);
    if (clientError.code === ErrorCode.SERVICE_UNAVAILABLE) report.unavailable(clientError.cause ?? error);
    const { http: _status, ...extensions } = clientError.extensions;
    return {
      message: stripSuggestions(clientError.message),
      ...(aboutTheRequest(clientError, formatted) && { locations: formatted.locations }),
      path: formatted.path,
      extensions,
    };
  };
}

/** A complaint about the request's text (parse, validation, variables), where `locations` helps its author. */
const aboutTheRequest = (clientError: AppError, formatted: GraphQLFormattedError) =>
  clientError.code === ErrorCode.BAD_USER_INPUT && formatted.path === undefined;

/**
 * HTTP statuses from the contract's codes where Apollo has none of its own: a database that did not
 * answer is 503 (retry later), even when part of the data was read; a request stopped before anything
 * executed by an error that set no status (Apollo's default is 500) gets that of its first error's code.
 */
export function errorStatusPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { errors, data } = response.body.singleResult;
          const codes = (errors ?? []).map((error) => error.extensions?.code);
          if (codes.includes(ErrorCode.SERVICE_UNAVAILABLE)) {
            response.http.status = httpStatusOf(ErrorCode.SERVICE_UNAVAILABLE);
            return;
          }
          const first = codes[0];
          const statusGiven = response.http.status !== undefined && response.http.status !== 500;
          if (data === undefined && !statusGiven && isErrorCode(first)) {
            response.http.status = httpStatusOf(first);
          }
        },
      };
    },
  };
}

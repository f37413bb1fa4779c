import type { Server } from 'node:http';
import {
  GraphQLError,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { AppError, ErrorCode, isAppError } from '../errors.js';
import { stripSuggestions } from '../limits/hide-suggestions.js';
import { parseOperation } from '../limits/query-limits.js';
import type { Services } from '../services.js';
import { gatewaySecretMatches } from './gateway-secret.js';
import { buildRequestContext, type HeaderLookup } from './request-context.js';

export interface WebSocketOptions {
  schema: GraphQLSchema;
  services: Services;
  validationRules: readonly ValidationRule[];
  /** The HTTP transport's error formatter (Apollo's `formatError`), so that errors leave both alike. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

/** `connection_init` payload keys are header-shaped and matched in any case, like HTTP headers. */
export const payloadLookup =
  (payload: Readonly<Record<string, unknown>> | undefined): HeaderLookup =>
  (name) => {
    const wanted = name.toLowerCase();
    const entry = Object.entries(payload ?? {}).find(([key]) => key.toLowerCase() === wanted);
    return typeof entry?.[1] === 'string' ? entry[1] : undefined;
  };

/**
 * graphql-transport-ws on `/graphql`, on the HTTP server's port. Credentials come in `connection_init`
 * and are verified at connect (refused: close 4403) and again for every operation through the same
 * context builder as HTTP, so that each operation gets its own context (shield's cache lives on it).
 * `useServer` runs none of Apollo's validation rules, so the query limits are applied here too.
 */
export function attachWebSocketServer(httpServer: Server, options: WebSocketOptions) {
  const { schema, services, validationRules, formatError } = options;
  const secret = services.config.gatewaySecret;
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const rules = [...specifiedRules, ...validationRules];
  const server = useServer<Record<string, unknown>>(
    {
      schema,
      onConnect: async ({ connectionParams, extra }) => {
        if (secret && !gatewaySecretMatches(secret, extra.request.headers['router-authorization'])) return false;
        try {
          await buildRequestContext(services, payloadLookup(connectionParams));
          return true;
        } catch {
          return false;
        }
      },
      context: ({ connectionParams }) => buildRequestContext(services, payloadLookup(connectionParams)),
      onSubscribe: (_ctx, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parseOperation(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [new AppError(ErrorCode.BAD_USER_INPUT, error.message)];
          throw error;
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0) {
          return errors.map((error) => new AppError(ErrorCode.BAD_USER_INPUT, stripSuggestions(error.message)));
        }
        return {
          schema,
          document,
          variableValues: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
        };
      },
      // graphql-ws sends execution errors as graphql-js made them: without a contract code, with
      // "Did you mean" suggestions, and with the message of any unexpected error. Apollo's formatter
      // puts them in shape; errors of an operation that could not start (variables that do not
      // coerce: no `data`, no `path`) are the caller's, as Apollo reports them over HTTP.
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors) return undefined;
        const notStarted = !('data' in result);
        return {
          ...result,
          errors: result.errors.map((error) =>
            notStarted && !error.path && !isAppError(error)
              ? { message: stripSuggestions(error.message), locations: error.locations, extensions: { code: ErrorCode.BAD_USER_INPUT } }
              : formatError(error.toJSON(), error),
          ),
        };
      },
    },
    wss,
  );
  return {
    async close() {
      await server.dispose();
    },
  };
}

import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, parse, type DocumentNode, type ParseOptions, type ValidationRule } from 'graphql';
import { ErrorCode } from '../errors.js';

/**
 * Fields on the longest path of an operation; fragments do not count as a level. 7, not 6: the
 * Relay form of a page of parks with a page of their reservations,
 * `parks { edges { node { reservations { edges { node { id } } } } } }`, is 7 deep (its `nodes`
 * form is 6), and it is the deepest query that does not loop back on itself (park → reservation →
 * park). Every query one level deeper revisits a type it came from.
 */
export const MAX_DEPTH = 7;
export const MAX_ALIASES = 15;
export const MAX_DIRECTIVES = 50;
/** Lexical tokens of a document; enforced by the parser itself (`queryParseOptions`). */
export const MAX_TOKENS = 1000;
/** The parse options of every operation, over HTTP and WebSocket alike (Apollo's `parseOptions`). */
export const queryParseOptions: ParseOptions = { maxTokens: MAX_TOKENS };

/**
 * Parses an operation under the token limit, for transports that parse on their own (graphql-ws):
 * a syntax error or a document over the limit becomes a BAD_USER_INPUT error.
 */
export function parseOperation(source: string): DocumentNode {
  try {
    return parse(source, queryParseOptions);
  } catch (error) {
    if (error instanceof GraphQLError) {
      throw new GraphQLError(error.message, {
        source: error.source,
        positions: error.positions,
        extensions: { code: ErrorCode.BAD_USER_INPUT },
      });
    }
    throw error;
  }
}

/**
 * The validation rules that bound the shape of an operation: depth, aliases and directives. Its cost
 * depends on its variables, so it is decided after validation, against the tenant's plan
 * (src/limits/limits.ts).
 * Plain graphql-js rules, for Apollo Server's `validationRules` and for the graphql-ws server,
 * which does not run Apollo's. graphql-armor's Apollo adapter is used only to build them: it makes
 * each rule report a GraphQLError with code BAD_USER_INPUT to the validation context instead of
 * throwing. Its token limit and suggestion masking are Apollo plugins, so they are off here and
 * done for every transport by `queryParseOptions` and hide-suggestions.ts.
 */
export function queryLimitRules(): ValidationRule[] {
  return new ApolloArmor({
    blockFieldSuggestion: { enabled: false },
    maxTokens: { enabled: false },
    maxDepth: { n: MAX_DEPTH, flattenFragments: true },
    maxAliases: { n: MAX_ALIASES },
    maxDirectives: { n: MAX_DIRECTIVES },
    costLimit: { enabled: false },
  }).protect().validationRules;
}

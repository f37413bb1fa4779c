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
/**
 * graphql-armor's cost: 1 per scalar, 2 per object, ×1.5 per level of nesting, and a selection under
 * a literal `first: n` costs n times. 10,000 rather than armor's 5,000: one full page (100) of
 * reservations with every field and their park, through `edges` and with `pageInfo`, costs 6,650,
 * and the Relay form of a page of parks with 5 reservations each about 5,600; both are what the
 * contract invites clients to send. A page of 100 inside a page of 100 costs over 160,000.
 * The cost of a `first` given by a variable, or left to its default, counts as 1: the server's
 * clamp of `first` to 100 and MAX_DEPTH are what bound those.
 */
export const MAX_COST = 10_000;

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
 * The validation rules that bound the size of an operation: depth, aliases, directives and cost.
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
    costLimit: { maxCost: MAX_COST, flattenFragments: true },
  }).protect().validationRules;
}

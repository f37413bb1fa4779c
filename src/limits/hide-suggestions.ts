import type { GraphQLFormattedError } from 'graphql';

/**
 * graphql-js appends " Did you mean …?" (graphql/jsutils/didYouMean) to validation and input
 * coercion errors, naming fields, arguments, types and enum values near the one sent. That maps the
 * schema for anyone who cares to misspell, so no such text leaves the server. Suggestions are GraphQL
 * names in quotes, which never contain "?", so the sentence ends at the first "?".
 */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

export function stripSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

/**
 * For the error formatter of every transport (Apollo's `formatError`, graphql-ws's `onNext`/`onError`):
 * the error without its suggestions. graphql-armor's own masking is an Apollo-only plugin and misses
 * the "Did you mean the enum value …" form.
 */
export function hideSuggestions(error: GraphQLFormattedError): GraphQLFormattedError {
  const message = stripSuggestions(error.message);
  return message === error.message ? error : { ...error, message };
}

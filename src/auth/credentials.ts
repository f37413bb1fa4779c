import { unauthenticated } from '../errors.js';
import { API_KEY_PREFIX } from './api-key-secret.js';

export type Credential = { kind: 'jwt'; token: string } | { kind: 'apiKey'; value: string };

/**
 * Looks a header up by name, case-insensitively; HTTP headers and connection_init payloads both adapt to
 * it. A header sent more than once gives its values joined by ", " (as the Fetch API's `Headers.get`
 * does), never just one of them: a credential header must not be picked from several.
 */
export type HeaderLookup = (name: string) => string | undefined;

/** Neither a JWT nor an API key holds a comma: one in a credential header means it was sent twice. */
const REPEATED = ',';

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * The credential a request presents, or null when it presents none. A malformed Authorization header,
 * a credential header sent twice, or an Authorization and an X-API-Key header that disagree, are refused
 * rather than ignored, so a client never runs with a credential other than the one it meant.
 */
export function readCredential(headers: HeaderLookup): Credential | null {
  const authorization = headers('authorization');
  const apiKey = headers('x-api-key');
  if (authorization?.includes(REPEATED)) throw unauthenticated('Authorization header sent more than once');
  if (apiKey?.includes(REPEATED)) throw unauthenticated('X-API-Key header sent more than once');
  const bearer = authorization === undefined ? undefined : bearerToken(authorization);
  if (bearer !== undefined && apiKey !== undefined && bearer !== apiKey) {
    throw unauthenticated('Authorization and X-API-Key headers disagree');
  }
  const value = bearer ?? apiKey;
  if (value === undefined) return null;
  if (value.startsWith(API_KEY_PREFIX)) return { kind: 'apiKey', value };
  if (bearer === undefined) throw unauthenticated('X-API-Key must hold a tgk_ API key');
  return { kind: 'jwt', token: bearer };
}

function bearerToken(header: string): string {
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) throw unauthenticated('Authorization header must be "Bearer <token>"');
  return token;
}

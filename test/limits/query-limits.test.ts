import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  MAX_ALIASES,
  MAX_DIRECTIVES,
  MAX_TOKENS,
  parseOperation,
  queryLimitRules,
  queryParseOptions,
} from '../../src/limits/query-limits.js';
import { loadTypeDefs } from '../../src/schema/type-defs.js';

const schema = buildSubgraphSchema({ typeDefs: loadTypeDefs() });

/** Validation as both transports run it: graphql-js's rules plus ours. */
const check = (source: string) => validate(schema, parseOperation(source), [...specifiedRules, ...queryLimitRules()]);

const legitimate = {
  'a page of parks with 5 reservations each':
    '{ parks(first: 20) { edges { node { reservations(first: 5) { nodes { id } } } } } }',
  'its Relay form, with cursors and pageInfo (depth 7)': `{ parks(first: 20) {
      edges { cursor node { id name reservations(first: 5) { edges { cursor node { id } } } } }
      pageInfo { hasNextPage endCursor } } }`,
  'a full page of 100 reservations with every field and their park': `{ reservations(first: 100) {
      edges { cursor node { id visitorName visitorEmail partySize date status park { id name region capacity } } }
      pageInfo { hasNextPage endCursor } } }`,
  'an entity fetch of the gateway': `query ($r: [_Any!]!) { _entities(representations: $r) {
      ... on Park { reservations(first: 5) { edges { node { id visitorName } } } } } }`,
  'the viewer with its memberships':
    '{ viewer { user { email } tenant { slug } roles memberships { roles tenant { name } } } }',
};

const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { roles }`).join(' ')} }`;

const refused = {
  'too deep (8)': '{ parks { edges { node { reservations { edges { node { park { id } } } } } } } }',
  'too deep through a fragment': `{ parks { ...P } }
    fragment P on ParkConnection { edges { node { reservations { edges { node { park { id } } } } } } }`,
  'too many aliases': aliases(MAX_ALIASES + 1),
  'too many directives': `{ viewer { ${'roles @include(if: true) '.repeat(MAX_DIRECTIVES + 1)} } }`,
};

describe('query limits', () => {
  it.each(Object.entries(legitimate))('lets through %s', (_name, source) => {
    expect(check(source)).toEqual([]);
  });

  it(`allows ${MAX_ALIASES} aliases`, () => {
    expect(check(aliases(MAX_ALIASES))).toEqual([]);
  });

  it.each(Object.entries(refused))('refuses %s with BAD_USER_INPUT and no suggestion', (_name, source) => {
    const errors = check(source);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.message).not.toMatch(/did you mean/i);
    }
  });

  it('names the limit that was hit', () => {
    expect(check(refused['too deep (8)']).map((error) => error.message)).toEqual([
      'Syntax Error: Query depth limit of 7 exceeded, found 8.',
    ]);
  });

  describe(`at most ${MAX_TOKENS} tokens`, () => {
    // `{ viewer { roles roles … } }`: 5 tokens of frame, one per field.
    const document = (tokens: number) => `{ viewer { ${'roles '.repeat(tokens - 5)}} }`;

    it('parses a document at the limit', () => {
      expect(() => parseOperation(document(MAX_TOKENS))).not.toThrow();
    });

    it('refuses one over it as BAD_USER_INPUT', () => {
      const error = captured(() => parseOperation(document(MAX_TOKENS + 1)));
      expect(error).toBeInstanceOf(GraphQLError);
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/1000 tokens/);
    });

    it('is the same limit as the parse options given to Apollo Server', () => {
      expect(() => parse(document(MAX_TOKENS + 1), queryParseOptions)).toThrow(/tokens/);
    });

    it('reports a syntax error as BAD_USER_INPUT', () => {
      expect(captured(() => parseOperation('{ viewer {')).extensions.code).toBe('BAD_USER_INPUT');
    });
  });
});

function captured(fn: () => unknown): GraphQLError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GraphQLError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a GraphQLError');
}

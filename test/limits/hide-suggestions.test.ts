import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { hideSuggestions, stripSuggestions } from '../../src/limits/hide-suggestions.js';
import { loadTypeDefs } from '../../src/schema/type-defs.js';

const schema = buildSubgraphSchema({ typeDefs: loadTypeDefs() });
const validationMessages = (source: string) =>
  validate(schema, parse(source), specifiedRules).map((error) => error.message);

describe('no "Did you mean" leaves the server', () => {
  it('removes field suggestions', () => {
    const [message = ''] = validationMessages('{ parkz { id } }');
    expect(message).toMatch(/Did you mean/);
    expect(stripSuggestions(message)).toBe('Cannot query field "parkz" on type "Query".');
  });

  it('removes argument and enum value suggestions', () => {
    const messages = validationMessages('{ reservationStats(groupBy: PARKS, fromm: "2026-01-01") { key } }');
    expect(messages.some((message) => message.includes('Did you mean the enum value'))).toBe(true);
    for (const message of messages) {
      expect(stripSuggestions(message)).not.toMatch(/did you mean/i);
    }
  });

  it('removes suggestions from variable coercion errors at execution', async () => {
    const result = await graphql({
      schema,
      source: 'query ($by: ReservationStatsGroupBy!) { reservationStats(groupBy: $by) { key } }',
      variableValues: { by: 'MONTHS' },
    });
    const [error] = result.errors ?? [];
    expect(error?.message).toMatch(/Did you mean/);
    expect(hideSuggestions(error!.toJSON()).message).toBe(
      'Variable "$by" got invalid value "MONTHS"; Value "MONTHS" does not exist in "ReservationStatsGroupBy" enum.',
    );
  });

  it('leaves other errors as they are', () => {
    const formatted = { message: 'Park not found', extensions: { code: 'NOT_FOUND' } };
    expect(hideSuggestions(formatted)).toBe(formatted);
  });
});

import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { costVariables } from '../../src/limits/cost-model.js';
import { createOperationCoster } from '../../src/limits/operation-cost.js';
import { buildSchema } from '../../src/server/schema.js';

const schema = buildSchema();

/** A page of parks, each with a page of its reservations, both sized by `$n`; `$after` sizes nothing. */
const NESTED = parse(
  'query Nested($n: Int, $after: String) { parks(first: $n, after: $after) { nodes { reservations(first: $n) { nodes { id } } } } }',
);
/** 1 + n × (1 + 1 + n): a page of parks, each with its page of reservations. */
const nestedCost = (n: number) => 1 + n * (2 + n);

describe('the costs an operation with variables keeps', () => {
  it('names the variables that can change a cost: page sizes, representations and conditions, nothing else', () => {
    const document = parse(`query ($n: Int, $after: String, $id: ID!, $deep: Boolean!, $r: [_Any!]!, $flat: Boolean!) {
      park(id: $id) { name }
      parks(first: $n, after: $after) @skip(if: $flat) { nodes { ...Deep } }
      _entities(representations: $r) { __typename }
    }
    fragment Deep on Park { reservations(first: 5) @include(if: $deep) { nodes { id } } }`);
    expect(costVariables(document)).toEqual(['deep', 'flat', 'n', 'r']);
  });

  it('costs each page size of the same document as its own, whatever order they come in', () => {
    const coster = createOperationCoster(schema);
    for (const n of [2, 100, 3, 2, 100, 1]) expect(coster.estimate(NESTED, { n }), `n = ${n}`).toBe(nestedCost(n));
  });

  it('never lets a small page size vouch for a large one: a cost bomb after a cheap request is still costed in full', () => {
    const coster = createOperationCoster(schema);
    expect(coster.estimate(NESTED, { n: 1, after: 'a' })).toBe(nestedCost(1));
    expect(coster.estimate(NESTED, { n: 1000, after: 'a' })).toBe(nestedCost(100));
    expect(() => coster.estimate(NESTED, { n: '1', after: 'a' })).toThrow(/Int cannot represent/);
  });

  it('shares a cost between values of variables that size nothing', () => {
    const coster = createOperationCoster(schema);
    expect(coster.estimate(NESTED, { n: 4, after: 'a' })).toBe(nestedCost(4));
    expect(coster.estimate(NESTED, { n: 4, after: 'b' })).toBe(nestedCost(4));
  });

  it('tells an absent variable (its default) from a null one (the default page)', () => {
    const coster = createOperationCoster(schema);
    const withDefault = parse('query ($n: Int = 5) { parks(first: $n) { nodes { id } } }');
    expect(coster.estimate(withDefault, {})).toBe(1 + 5);
    expect(coster.estimate(withDefault, { n: null })).toBe(1 + 20);
    expect(coster.estimate(withDefault, {})).toBe(1 + 5);
  });

  it('counts a selection under @include or @skip by the value of its condition', () => {
    const coster = createOperationCoster(schema);
    const document = parse(
      'query ($deep: Boolean!) { parks(first: 10) { nodes { reservations(first: 50) @include(if: $deep) { nodes { id } } } } }',
    );
    expect(coster.estimate(document, { deep: false })).toBe(1 + 10 * 1);
    expect(coster.estimate(document, { deep: true })).toBe(1 + 10 * (1 + 1 + 50));
    expect(coster.estimate(document, { deep: false })).toBe(1 + 10 * 1);
  });

  it('counts every representation of `_entities`, and checks each list of them, however long', () => {
    const coster = createOperationCoster(schema);
    const document = parse('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Park { id } } }');
    const parks = (count: number) => Array.from({ length: count }, (_, i) => ({ __typename: 'Park', id: `park-${i}` }));
    for (const count of [3, 5, 3, 400, 401, 400]) {
      expect(coster.estimate(document, { r: parks(count) }), `${count} representations`).toBe(count);
    }
    const bad = [...parks(400), { __typename: 'Park', id: 7 }];
    expect(() => coster.estimate(document, { r: bad })).toThrow(/representations\[400\]\.id must be a string/);
    expect(() => coster.estimate(document, { r: bad })).toThrow(/representations\[400\]\.id must be a string/);
  });

  it('keys the costs of a document by its operation', () => {
    const coster = createOperationCoster(schema);
    const document = parse(`query Small($n: Int) { parks(first: $n) { nodes { id } } }
      query Large($n: Int) { parks(first: $n) { nodes { reservations(first: $n) { nodes { id } } } } }`);
    expect(coster.estimate(document, { n: 10 }, 'Small')).toBe(1 + 10);
    expect(coster.estimate(document, { n: 10 }, 'Large')).toBe(nestedCost(10));
  });

  it('keeps costing right past the number of values it keeps', () => {
    const coster = createOperationCoster(schema);
    for (let n = 0; n <= 100; n += 1) expect(coster.estimate(NESTED, { n })).toBe(nestedCost(n));
    for (let n = 100; n >= 0; n -= 1) expect(coster.estimate(NESTED, { n })).toBe(nestedCost(n));
  });

  it('refuses variables that do not fit the operation every time, none of them kept', () => {
    const coster = createOperationCoster(schema);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect(() => coster.estimate(NESTED, { n: 'many' })).toThrow(/Int cannot represent/);
    }
  });
});

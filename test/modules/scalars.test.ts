import { Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DateScalar, DateTimeScalar, JSONScalar, isCalendarDate } from '../../src/modules/core/scalars.js';

const stringLiteral = (value: string) => ({ kind: Kind.STRING, value }) as const;

describe('Date', () => {
  it.each(['2024-02-29', '2000-02-29', '2026-12-31', '0001-01-01'])('accepts %s', (value) => {
    expect(isCalendarDate(value)).toBe(true);
    expect(DateScalar.parseValue(value)).toBe(value);
    expect(DateScalar.parseLiteral(stringLiteral(value), undefined)).toBe(value);
    expect(DateScalar.serialize(value)).toBe(value);
  });

  it.each([
    '2025-02-29',
    '1900-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '0000-01-01',
    '2026-1-01',
    '2026-01-01T00:00:00Z',
    '',
  ])('refuses %s with BAD_USER_INPUT', (value) => {
    expect(() => DateScalar.parseValue(value)).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }),
    );
    expect(() => DateScalar.parseLiteral(stringLiteral(value), undefined)).toThrow(/YYYY-MM-DD/);
  });

  it('refuses non-strings', () => {
    expect(() => DateScalar.parseValue(20260101)).toThrow(/YYYY-MM-DD/);
    expect(() => DateScalar.parseLiteral({ kind: Kind.INT, value: '20260101' }, undefined)).toThrow(/YYYY-MM-DD/);
  });
});

describe('DateTime', () => {
  it('serializes instants as ISO 8601 UTC', () => {
    expect(DateTimeScalar.serialize(new Date(Date.UTC(2026, 10, 22, 10)))).toBe('2026-11-22T10:00:00.000Z');
    expect(DateTimeScalar.serialize('2026-11-22T12:00:00+02:00')).toBe('2026-11-22T10:00:00.000Z');
    expect(() => DateTimeScalar.serialize(new Date(Number.NaN))).toThrow(TypeError);
  });

  it('normalizes input to UTC', () => {
    expect(DateTimeScalar.parseValue('2026-11-22T10:00:00Z')).toBe('2026-11-22T10:00:00.000Z');
    expect(DateTimeScalar.parseLiteral(stringLiteral('2026-11-22T05:00:00.5-05:00'), undefined)).toBe(
      '2026-11-22T10:00:00.500Z',
    );
  });

  it.each(['2026-02-30T00:00:00Z', '2026-11-22', '2026-11-22T25:00:00Z', '2026-11-22T10:00:00', 'tomorrow'])(
    'refuses %s',
    (value) => {
      expect(() => DateTimeScalar.parseValue(value)).toThrow(
        expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }),
      );
    },
  );
});

describe('JSON', () => {
  it('passes values through', () => {
    const value = { a: [1, 'two', null, { b: true }] };
    expect(JSONScalar.serialize(value)).toBe(value);
    expect(JSONScalar.parseValue(value)).toBe(value);
    expect(
      JSONScalar.parseLiteral(
        {
          kind: Kind.OBJECT,
          fields: [
            { kind: Kind.OBJECT_FIELD, name: { kind: Kind.NAME, value: 'n' }, value: { kind: Kind.INT, value: '1' } },
          ],
        },
        undefined,
      ),
    ).toEqual({ n: 1 });
  });
});

import { GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';
import type { ValueNode } from 'graphql';
import { AppError, ErrorCode } from '../../errors.js';
import type { Resolvers } from '../../generated/graphql.js';

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** True for `YYYY-MM-DD` naming a day that exists (no 2025-02-29, no month 13, no year 0). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = CALENDAR_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** The instant an ISO 8601 date-time with `Z` or an offset names, or null when it names none. */
function parseDateTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const match = DATE_TIME.exec(value);
  if (!match || !isCalendarDate(match[1])) return null;
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) ? null : instant;
}

// Errors about client values carry BAD_USER_INPUT; graphql-js keeps them as `originalError` of the
// variable or validation error it raises, so the code survives to the response.
const invalidDate = () => new AppError(ErrorCode.BAD_USER_INPUT, 'Date must be a calendar date YYYY-MM-DD');
const invalidDateTime = () =>
  new AppError(ErrorCode.BAD_USER_INPUT, 'DateTime must be an ISO 8601 date-time, e.g. 2026-11-22T10:00:00.000Z');

function literalString(ast: ValueNode): string | null {
  return ast.kind === Kind.STRING ? ast.value : null;
}

export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date, `YYYY-MM-DD`.',
  serialize(value) {
    // An invalid stored value is a server bug, not the caller's: a plain error is reported as internal.
    if (!isCalendarDate(value)) throw new TypeError('Date cannot serialize a value that is not YYYY-MM-DD');
    return value;
  },
  parseValue(value) {
    if (!isCalendarDate(value)) throw invalidDate();
    return value;
  },
  parseLiteral(ast) {
    const value = literalString(ast);
    if (!isCalendarDate(value)) throw invalidDate();
    return value;
  },
});

export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description: 'An instant in ISO 8601 UTC, e.g. `2026-11-22T10:00:00.000Z`.',
  serialize(value) {
    const instant = value instanceof Date ? value : parseDateTime(value);
    if (instant === null || Number.isNaN(instant.getTime())) {
      throw new TypeError('DateTime cannot serialize a value that is not an instant');
    }
    return instant.toISOString();
  },
  parseValue(value) {
    const instant = parseDateTime(value);
    if (instant === null) throw invalidDateTime();
    return instant.toISOString();
  },
  parseLiteral(ast) {
    const instant = parseDateTime(literalString(ast));
    if (instant === null) throw invalidDateTime();
    return instant.toISOString();
  },
});

export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

export const scalarResolvers: Resolvers = {
  Date: DateScalar,
  DateTime: DateTimeScalar,
  JSON: JSONScalar,
};

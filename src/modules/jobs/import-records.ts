import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import {
  coerceInputValue,
  getNamedType,
  isInputObjectType,
  type GraphQLInputObjectType,
  type GraphQLSchema,
} from 'graphql';
import { JobFailure, type JobFormat } from '../../jobs/job-document.js';

/** One data line of an import file: its value as the create mutation's input, or why it is not one. */
export type ImportRecord = { line: number; input: Record<string, unknown> } | { line: number; problem: string };

export function inputTypeOf(schema: GraphQLSchema, name: string): GraphQLInputObjectType {
  const type = schema.getType(name);
  if (!isInputObjectType(type)) throw new Error(`no input type ${name}`);
  return type;
}

/**
 * The value coerced as GraphQL coerces a mutation's `input` variable: required fields present, no
 * unknown field, scalars of the right type. The first problem, or the coerced value.
 */
function coerced(
  type: GraphQLInputObjectType,
  value: unknown,
): { input: Record<string, unknown> } | { problem: string } {
  let problem: string | null = null;
  const input = coerceInputValue(value, type, (_path, _invalid, error) => {
    problem ??= error.message;
  }) as Record<string, unknown> | undefined;
  return problem !== null || !input ? { problem: problem ?? 'is not an input object' } : { input };
}

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A CSV cell as the JSON value of its input field: numbers for Int/Float fields, nothing for an empty cell. */
function cellValue(type: GraphQLInputObjectType, column: string, cell: string): unknown {
  const field = type.getFields()[column];
  if (cell === '') return undefined;
  const scalar = field ? getNamedType(field.type).name : 'String';
  if (scalar === 'Int' && INTEGER.test(cell)) return Number(cell);
  if (scalar === 'Float' && NUMBER.test(cell)) return Number(cell);
  if (scalar === 'Boolean' && (cell === 'true' || cell === 'false')) return cell === 'true';
  return cell;
}

async function* ndjsonRecords(stream: Readable, type: GraphQLInputObjectType): AsyncGenerator<ImportRecord> {
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    line += 1;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, problem: 'is not valid JSON' };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, problem: 'is not a JSON object' };
      continue;
    }
    yield { line, ...coerced(type, value) };
  }
}

async function* csvRecords(stream: Readable, type: GraphQLInputObjectType): AsyncGenerator<ImportRecord> {
  const parser = stream.pipe(parseCsv({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }));
  let header: string[] | null = null;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header === null) {
        header = record.map((column) => column.trim());
        const unknown = header.find((column) => !(column in type.getFields()));
        if (unknown !== undefined) throw new JobFailure(`line 1: unknown column "${unknown}" for ${type.name}`);
        continue;
      }
      if (record.length !== header.length) {
        yield { line: info.lines, problem: `has ${record.length} fields, the header has ${header.length}` };
        continue;
      }
      const columns = header;
      const value = Object.fromEntries(
        record.flatMap((cell, index) => {
          const column = columns[index]!;
          const converted = cellValue(type, column, cell);
          return converted === undefined ? [] : [[column, converted]];
        }),
      );
      yield { line: info.lines, ...coerced(type, value) };
    }
  } catch (error) {
    if (error instanceof JobFailure) throw error;
    throw new JobFailure(`the file is not valid CSV: ${(error as Error).message}`);
  }
}

/**
 * The data lines of an import file, streamed (never the whole file in memory), each checked against
 * the create mutation's input type. NDJSON skips blank lines; CSV reads its header first (line 1).
 */
export function importRecords(
  stream: Readable,
  format: JobFormat,
  type: GraphQLInputObjectType,
): AsyncGenerator<ImportRecord> {
  return format === 'CSV' ? csvRecords(stream, type) : ndjsonRecords(stream, type);
}

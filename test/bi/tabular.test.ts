import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { OperationDocumentError } from '../../src/bi/manifest.js';
import { variablesFromSearchParams } from '../../src/bi/query-variables.js';
import { csvHeader, csvRows, pageOf, tabularShape } from '../../src/bi/tabular.js';
import { buildSchema } from '../../src/server/schema.js';
import { parseCsv } from './csv.js';

const schema = buildSchema();
const shapeOf = (source: string) => tabularShape(schema, parse(source));
const columnsOf = (source: string) => shapeOf(source).columns.map((path) => path.join('.'));

/** One value as the CSV writer writes it in a row of one column (without the line's CRLF). */
const csvField = (value: unknown) => {
  const row = csvRows(shapeOf('query Q { reservationStats(groupBy: PARK) { key } }'), [{ key: value }]);
  expect(row.endsWith('\r\n')).toBe(true);
  return row.slice(0, -2);
};

describe('a CSV field (RFC 4180, csv-stringify)', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    ['Ünïcödé 公园 🌲', 'Ünïcödé 公园 🌲'],
    ['', ''],
  ])('%j → %j', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it.each([
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['+1+2', "'+1+2"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tindented', "'\tindented"],
    ['\rfirst', `"'\rfirst"`],
    ['＝1+1', "'＝1+1"],
  ])('neutralises a text a spreadsheet would run as a formula: %j → %j', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it('leaves numbers as data, a negative one included, and formula characters after the first', () => {
    expect([-5, -0.5, 'a=b', 'x-y@z'].map(csvField)).toEqual(['-5', '-0.5', 'a=b', 'x-y@z']);
  });

  it('writes null as an empty field, numbers and booleans as text, lists as JSON', () => {
    expect([null, undefined, 0, 12.5, true, ['a', 'b,c']].map(csvField)).toEqual([
      '',
      '',
      '0',
      '12.5',
      'true',
      '"[""a"",""b,c""]"',
    ]);
  });

  it('round-trips through an independent reader', () => {
    const shape = shapeOf('query Q { reservationStats(groupBy: PARK) { key reservations visitors } }');
    const rows = [
      { key: 'a,"b"\r\nc', reservations: 1, visitors: 2 },
      { key: '', reservations: 0, visitors: null },
    ];
    expect(parseCsv(csvHeader(shape) + csvRows(shape, rows))).toEqual([
      ['key', 'reservations', 'visitors'],
      ['a,"b"\r\nc', '1', '2'],
      ['', '0', ''],
    ]);
  });
});

describe('tabularShape', () => {
  it('reads a list root field: one row per item', () => {
    const shape = shapeOf('query Q { reservationStats(groupBy: MONTH) { key visitors } }');
    expect(shape.source).toEqual({ kind: 'list' });
    expect(columnsOf('query Q { reservationStats(groupBy: MONTH) { key visitors } }')).toEqual(['key', 'visitors']);
    expect(shape.pageable).toBe(false);
  });

  it('reads a connection through nodes or edges, nested objects as dotted columns, aliases and fragments as sent', () => {
    expect(columnsOf('query Q { reservations { nodes { id when: date park { name } } } }')).toEqual([
      'id',
      'when',
      'park.name',
    ]);
    expect(
      columnsOf('query Q { parks { edges { node { ...P } } } } fragment P on Park { id ... on Park { capacity } }'),
    ).toEqual(['id', 'capacity']);
  });

  it('keeps a list inside a row as one column', () => {
    expect(columnsOf('query Q { parks { nodes { name reservations { nodes { id } } } } }')).toEqual([
      'name',
      'reservations.nodes',
    ]);
  });

  it('pages only with an $after variable and pageInfo { hasNextPage endCursor }', () => {
    expect(
      shapeOf('query Q($after: String) { parks(after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }')
        .pageable,
    ).toBe(true);
    expect(shapeOf('query Q { parks { nodes { id } pageInfo { hasNextPage endCursor } } }').pageable).toBe(false);
    expect(
      shapeOf('query Q($after: String) { parks(after: $after) { nodes { id } pageInfo { hasNextPage } } }').pageable,
    ).toBe(false);
  });

  it.each([
    ['two root fields', 'query Q { parks { nodes { id } } reservations { nodes { id } } }'],
    ['an object root field', 'query Q { viewer { roles } }'],
    ['a connection without nodes or edges', 'query Q { parks { pageInfo { hasNextPage } } }'],
  ])('refuses %s', (_case, source) => {
    expect(() => shapeOf(source)).toThrow(OperationDocumentError);
  });

  it('finds the rows and the next cursor in a result', () => {
    const shape = shapeOf(
      'query Q($after: String) { parks(after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }',
    );
    const data = {
      parks: {
        edges: [{ node: { id: '1' } }, { node: { id: '2' } }],
        pageInfo: { hasNextPage: true, endCursor: 'c2' },
      },
    };
    expect(pageOf(shape, data)).toEqual({ rows: [{ id: '1' }, { id: '2' }], nextCursor: 'c2' });
    expect(
      pageOf(shape, { parks: { ...data.parks, pageInfo: { hasNextPage: false, endCursor: 'c2' } } }).nextCursor,
    ).toBeNull();
  });
});

describe('variablesFromSearchParams', () => {
  const operation = (source: string) =>
    parse(source).definitions.find(
      (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
    )!;
  const op = operation(
    'query Q($first: Int, $from: Date!, $flag: Boolean, $ids: [ID!], $status: ReservationStatus, $input: UpdateParkInput, $data: JSON) { viewer { roles } }',
  );
  const read = (query: string) => variablesFromSearchParams(schema, op, new URLSearchParams(query));

  it('reads each parameter by its variable’s type', () => {
    expect(read('first=5&from=2026-01-01&flag=true&ids=a&ids=b&status=CONFIRMED&input={"name":"x"}&data=[1]')).toEqual({
      first: 5,
      from: '2026-01-01',
      flag: true,
      ids: ['a', 'b'],
      status: 'CONFIRMED',
      input: { name: 'x' },
      data: [1],
    });
    expect(read('ids=["a","b"]')).toEqual({ ids: ['a', 'b'] });
    expect(read('')).toEqual({});
  });

  it.each([
    ['an unknown parameter', 'frist=5'],
    ['an integer that is not one', 'first=5.5'],
    ['a boolean that is not one', 'flag=yes'],
    ['JSON that is not', 'input={name}'],
    ['a single value given twice', 'first=1&first=2'],
  ])('refuses %s with BAD_USER_INPUT', (_case, query) => {
    expect(() => read(query)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});

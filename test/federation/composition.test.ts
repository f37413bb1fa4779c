import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kind, parse, type ConstDirectiveNode, type ObjectTypeDefinitionNode } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ACCEPTED_HINT_CODES,
  composeSupergraph,
  tenantgraphSubgraph,
  weatherSubgraph,
  type SubgraphSource,
} from '../../scripts/compose-supergraph.js';
import { SCHEMA_DIR } from '../../src/schema/type-defs.js';

/*
 * `npm run supergraph` composes schema/ with the example weather subgraph. These tests make CI fail
 * when a change to schema/ breaks composition, and show that they can: broken copies of schema/ are
 * composed and must fail with the error that names the break.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const TENANTGRAPH_URL = 'http://tenantgraph.test/graphql';
const WEATHER_URL = 'http://weather.test/graphql';
const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A copy of schema/ with one file's text edited; the edit must apply. */
function brokenSchemaDir(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tenantgraph-schema-'));
  temporary.push(dir);
  cpSync(SCHEMA_DIR, dir, { recursive: true });
  const path = join(dir, file);
  const before = readFileSync(path, 'utf8');
  const after = edit(before);
  expect(after, `the edit of ${file} applies`).not.toBe(before);
  writeFileSync(path, after);
  return `${dir}/`;
}

const compose = (...subgraphs: SubgraphSource[]) => composeSupergraph(subgraphs);
const real = () => compose(tenantgraphSubgraph(TENANTGRAPH_URL), weatherSubgraph(WEATHER_URL));
const problemCodes = (outcome: ReturnType<typeof composeSupergraph>) =>
  outcome.ok ? [] : outcome.problems.map((p) => p.code);

function objectType(sdl: string, name: string): ObjectTypeDefinitionNode {
  const type = parse(sdl).definitions.find(
    (definition): definition is ObjectTypeDefinitionNode =>
      definition.kind === Kind.OBJECT_TYPE_DEFINITION && definition.name.value === name,
  );
  if (!type) throw new Error(`no type ${name} in the supergraph`);
  return type;
}

/** A directive's arguments as plain strings, e.g. `{ graph: 'TENANTGRAPH', key: 'id' }`. */
const argumentsOf = (directive: ConstDirectiveNode) =>
  Object.fromEntries(
    (directive.arguments ?? []).map((arg) => [arg.name.value, 'value' in arg.value ? String(arg.value.value) : '?']),
  );
const directives = (node: { directives?: readonly ConstDirectiveNode[] }, name: string) =>
  (node.directives ?? []).filter((d) => d.name.value === name).map(argumentsOf);

describe('the real schema', () => {
  const outcome = real();

  it('composes with the weather subgraph, with no hint outside the accepted list', () => {
    expect(outcome.ok ? [] : outcome.problems).toEqual([]);
    if (!outcome.ok) return;
    for (const hint of outcome.acceptedHints) expect(ACCEPTED_HINT_CODES.has(hint.code)).toBe(true);
  });

  it('has Tenant, Park and Reservation as entities of tenantgraph keyed by id, Park extended by weather', () => {
    if (!outcome.ok) throw new Error('composition failed');
    for (const name of ['Tenant', 'Reservation']) {
      expect(directives(objectType(outcome.supergraphSdl, name), 'join__type')).toEqual([
        { graph: 'TENANTGRAPH', key: 'id' },
      ]);
    }
    const park = objectType(outcome.supergraphSdl, 'Park');
    expect(directives(park, 'join__type')).toEqual([
      { graph: 'TENANTGRAPH', key: 'id' },
      { graph: 'WEATHER', key: 'id' },
    ]);
    const weather = park.fields?.find((field) => field.name.value === 'weather');
    expect(weather && directives(weather, 'join__field')).toEqual([{ graph: 'WEATHER' }]);
    const name = park.fields?.find((field) => field.name.value === 'name');
    expect(name && directives(name, 'join__field')).toEqual([{ graph: 'TENANTGRAPH' }]);
  });

  it('keeps the pii tags on personal fields', () => {
    if (!outcome.ok) throw new Error('composition failed');
    const tagged = (type: string, field: string) => {
      const node = objectType(outcome.supergraphSdl, type).fields?.find((f) => f.name.value === field);
      return node ? directives(node, 'tag') : [];
    };
    expect(tagged('Reservation', 'visitorEmail')).toEqual([{ name: 'pii' }]);
    expect(tagged('Reservation', 'visitorName')).toEqual([{ name: 'pii' }]);
    expect(tagged('User', 'email')).toEqual([{ name: 'pii' }]);
    expect(tagged('ExportEvent', 'data')).toEqual([{ name: 'pii' }]); // a reservation's visitor, in its events
    expect(tagged('Park', 'name')).toEqual([]);
  });
});

describe('a broken schema/ fails composition', () => {
  it('a key field whose type differs from the other subgraph’s (Park.id: String!)', () => {
    const dir = brokenSchemaDir('parks.graphql', (sdl) =>
      sdl.replace(/(type Park @key\(fields: "id"\) \{\n\s+id: )ID!/, '$1String!'),
    );
    expect(problemCodes(compose(tenantgraphSubgraph(TENANTGRAPH_URL, dir), weatherSubgraph(WEATHER_URL)))).toContain(
      'FIELD_TYPE_MISMATCH',
    );
  });

  it('a field the weather subgraph already resolves, without @shareable (Park.weather)', () => {
    const dir = brokenSchemaDir('parks.graphql', (sdl) =>
      sdl.replace(/(\n {2}capacity: Int\n)/, '$1  weather: String\n'),
    );
    expect(problemCodes(compose(tenantgraphSubgraph(TENANTGRAPH_URL, dir), weatherSubgraph(WEATHER_URL)))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(INVALID_FIELD_SHARING|FIELD_TYPE_MISMATCH)$/)]),
    );
  });

  it('Park no longer an entity (its @key removed)', () => {
    const dir = brokenSchemaDir('parks.graphql', (sdl) => sdl.replace('type Park @key(fields: "id") {', 'type Park {'));
    expect(compose(tenantgraphSubgraph(TENANTGRAPH_URL, dir), weatherSubgraph(WEATHER_URL)).ok).toBe(false);
  });

  it('a federation directive used without its @link import', () => {
    const dir = brokenSchemaDir('parks.graphql', (sdl) =>
      sdl.replace('  region: String\n', '  region: String @inaccessible\n'),
    );
    expect(compose(tenantgraphSubgraph(TENANTGRAPH_URL, dir), weatherSubgraph(WEATHER_URL)).ok).toBe(false);
  });
});

describe('the hint policy', () => {
  /** A third team's subgraph sharing tenantgraph's @shareable PageInfo. */
  const pagingSubgraph = (pageInfo: string): SubgraphSource => ({
    name: 'paging',
    url: 'http://paging.test/graphql',
    typeDefs: parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@shareable"])
      type PageInfo @shareable { ${pageInfo} }
      type Query { pagingProbe: PageInfo }
    `),
  });

  it('accepts a harmless hint (a shared field non-null in one subgraph, nullable here)', () => {
    const outcome = compose(
      tenantgraphSubgraph(TENANTGRAPH_URL),
      weatherSubgraph(WEATHER_URL),
      pagingSubgraph('hasNextPage: Boolean!  endCursor: String!'),
    );
    expect(outcome.ok ? outcome.acceptedHints.map((hint) => hint.code) : outcome.problems).toEqual([
      'INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE',
    ]);
  });

  it('refuses a hint that means the supergraph drops something (an argument present in one subgraph only)', () => {
    const outcome = compose(
      tenantgraphSubgraph(TENANTGRAPH_URL),
      weatherSubgraph(WEATHER_URL),
      pagingSubgraph('hasNextPage(strict: Boolean): Boolean!  endCursor: String'),
    );
    expect(problemCodes(outcome)).toEqual(['INCONSISTENT_ARGUMENT_PRESENCE']);
  });
});

describe('npm run supergraph (scripts/supergraph.ts)', () => {
  const run = promisify(execFile);
  const tsx = join(root, 'node_modules/.bin/tsx');
  const script = join(root, 'scripts/supergraph.ts');

  it('writes the composed supergraph SDL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenantgraph-supergraph-'));
    temporary.push(dir);
    const out = join(dir, 'supergraph.graphql');
    await run(tsx, [script, '--out', out, '--tenantgraph-url', TENANTGRAPH_URL, '--weather-url', WEATHER_URL], {
      cwd: root,
    });
    const expected = real();
    expect(expected.ok && readFileSync(out, 'utf8') === expected.supergraphSdl).toBe(true);
  });

  it('exits 1 naming the error, and writes nothing, when schema/ is broken', async () => {
    const broken = brokenSchemaDir('parks.graphql', (sdl) =>
      sdl.replace(/(type Park @key\(fields: "id"\) \{\n\s+id: )ID!/, '$1String!'),
    );
    const out = join(broken, 'supergraph.graphql');
    const failure = await run(tsx, [script, '--schema-dir', broken, '--out', out], { cwd: root }).then(
      () => null,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/error FIELD_TYPE_MISMATCH: /);
    expect(existsSync(out)).toBe(false);
  });
});

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import config from '../../codegen.js';
import {
  buildManifest,
  MANIFEST_PATH,
  OperationDocumentError,
  parseManifest,
  serializeManifest,
  sha256Hex,
  type PersistedQueryManifest,
} from '../../src/bi/manifest.js';
import { TrustedOperationRegistry } from '../../src/bi/trusted-operations.js';
import { buildSchema } from '../../src/server/schema.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const OUTPUT = 'persisted-query-manifest.json';
const OPERATIONS = join(root, 'schema/operations');

/** The manifest codegen.ts makes from the .graphql files of `dir`. */
async function generateManifest(dir: string): Promise<string> {
  const output = config.generates[OUTPUT];
  if (!output || Array.isArray(output) || typeof output !== 'object')
    throw new Error(`codegen.ts generates no ${OUTPUT}`);
  const outputs = await generate(
    { ...config, cwd: root, silent: true, generates: { [OUTPUT]: { ...output, documents: join(dir, '*.graphql') } } },
    false,
  );
  const manifest = outputs.find((file: { filename: string }) => resolve(root, file.filename) === MANIFEST_PATH);
  if (!manifest) throw new Error('codegen wrote no manifest');
  return manifest.content;
}

describe('the committed persisted query manifest', () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'tenantgraph-operations-'));
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('is what codegen makes of schema/operations/ (else: npm run codegen)', async () => {
    const committed = await readFile(MANIFEST_PATH, 'utf8');
    expect(await generateManifest(OPERATIONS), `${OUTPUT} is stale: run npm run codegen`).toBe(committed);
  });

  it('would be found stale after any change to an operation (the check above can fail)', async () => {
    const committed = await readFile(MANIFEST_PATH, 'utf8');
    for (const file of await readdir(OPERATIONS)) {
      await writeFile(join(scratch, file), await readFile(join(OPERATIONS, file), 'utf8'));
    }
    expect(await generateManifest(scratch)).toBe(committed);
    const edited = (await readFile(join(OPERATIONS, 'ParksWithCapacity.graphql'), 'utf8')).replace(
      '      region\n',
      '',
    );
    expect(edited).not.toContain('region');
    await writeFile(join(scratch, 'ParksWithCapacity.graphql'), edited);
    expect(await generateManifest(scratch)).not.toBe(committed);
  });

  it('holds the BI operations of the issue, as queries, each id the SHA-256 of its body', async () => {
    const manifest = parseManifest(JSON.parse(await readFile(MANIFEST_PATH, 'utf8')));
    expect(manifest.format).toBe('apollo-persisted-query-manifest');
    expect(manifest.operations.map((operation) => operation.name)).toEqual([
      'ParksWithCapacity',
      'ReservationStatsByMonth',
      'ReservationStatsByPark',
      'ReservationsInRange',
    ]);
    for (const operation of manifest.operations) {
      expect(operation.type).toBe('query');
      expect(operation.id).toBe(sha256Hex(operation.body));
    }
  });
});

describe('buildManifest', () => {
  it('normalizes layout and comments away, so the hash depends on the operation only', () => {
    const tidy = buildManifest([parse('query A { viewer { roles } }')]);
    const messy = buildManifest([parse('# a comment\nquery   A {viewer{\n\n roles}}')]);
    expect(messy).toEqual(tidy);
  });

  it('puts the fragments an operation uses into its body, and only those', () => {
    const manifest = buildManifest([
      parse('query A { parks { nodes { ...P } } } fragment P on Park { name ...Q } fragment Q on Park { id }'),
      parse('fragment Unused on Park { region } query B { viewer { roles } }'),
    ]);
    const a = manifest.operations.find((operation) => operation.name === 'A')!;
    expect(a.body).toContain('fragment P on Park');
    expect(a.body).toContain('fragment Q on Park');
    expect(a.body).not.toContain('Unused');
    expect(manifest.operations.find((operation) => operation.name === 'B')!.body).toBe(
      'query B {\n  viewer {\n    roles\n  }\n}',
    );
  });

  it.each([
    ['a mutation', 'mutation M { deletePark(id: "1") }'],
    ['an anonymous operation', '{ viewer { roles } }'],
    ['an operation name used twice', 'query A { viewer { roles } } query A { viewer { tenant { id } } }'],
  ])('refuses %s', (_case, source) => {
    expect(() => buildManifest([parse(source)])).toThrow(OperationDocumentError);
  });
});

describe('the manifest at start-up', () => {
  const schema = buildSchema();
  const entry = (body: string, name: string) => ({ id: sha256Hex(body), name, type: 'query' as const, body });
  const manifestOf = (...operations: ReturnType<typeof entry>[]): PersistedQueryManifest => ({
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations,
  });

  it('is refused when an id is not the hash of its body', () => {
    const manifest = JSON.parse(
      serializeManifest(manifestOf(entry('query A {\n  viewer {\n    roles\n  }\n}', 'A'))),
    ) as {
      operations: Array<{ id: string }>;
    };
    manifest.operations[0]!.id = sha256Hex('something else');
    expect(() => parseManifest(manifest)).toThrow(/not the SHA-256/);
  });

  it('stops the server when an operation does not run against the schema or the limits', () => {
    const valid = entry('query A {\n  viewer {\n    roles\n  }\n}', 'A');
    expect(() => new TrustedOperationRegistry(manifestOf(valid), schema)).not.toThrow();
    const unknownField = entry('query B {\n  viewer {\n    password\n  }\n}', 'B');
    expect(() => new TrustedOperationRegistry(manifestOf(valid, unknownField), schema)).toThrow(/B: is not valid/);
    const deep = buildManifest([
      parse(
        'query Deep { parks { nodes { reservations { nodes { park { reservations { nodes { park { name } } } } } } } } }',
      ),
    ]);
    expect(() => new TrustedOperationRegistry(deep, schema)).toThrow(/Deep: is not valid/);
  });
});

import { describe, expect, expectTypeOf, it } from 'vitest';
import type { RequestContext } from '../../src/context.js';
import type { Database } from '../../src/data/database.js';
import type { PlatformDb } from '../../src/data/platform-db.js';
import type { Services } from '../../src/services.js';
import { sourceFiles, specifiersOf, type SourceFile } from './imports.js';

/*
 * The layering of src/ (docs/architecture.md): transports in server/, features in modules/ over
 * capabilities bound to the request's tenant, the data layer below. These scans fail the suite when
 * a file reaches past its layer.
 */

/** What only the composition root (src/server/) may hold: the raw database, the platform handle, the service locator. */
const RAW_HANDLES = ['data/database.ts', 'data/platform-db.ts', 'data/connection.ts', 'services.ts'];

/** The transport layer's packages: HTTP (Express, Apollo's server and integrations) and WebSocket. */
const TRANSPORT_PACKAGE = /^(express|@apollo\/server|@as-integrations\/|ws$|graphql-ws)/;

type Scanned = Pick<SourceFile, 'path' | 'packages' | 'files'>;

const offending = (files: readonly Scanned[], bad: (file: Scanned) => string[]) =>
  files.flatMap((file) => bad(file).map((target) => `${file.path} → ${target}`));

const rawHandleImports = (files: readonly Scanned[]) =>
  offending(files, (file) => file.files.filter((target) => RAW_HANDLES.includes(target)));

describe('the import scan', () => {
  it('sees every form of import', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "import './d.js';",
      "const e = await import('./e.js');",
      "import {\n  f,\n} from 'express';",
    ].join('\n');
    expect(specifiersOf(source).sort()).toEqual(['../b.js', './a.js', './c.js', './d.js', './e.js', 'express'].sort());
  });

  it('resolves what a module file imports, and would catch a resolver that imports the raw database', () => {
    const parks = sourceFiles('modules').find((file) => file.path === 'modules/parks/park-repository.ts');
    expect(parks?.files).toContain('data/tenant-db.ts');
    const planted: Scanned = { path: 'modules/parks/resolvers.ts', packages: [], files: ['data/database.ts'] };
    expect(rawHandleImports([planted])).toEqual(['modules/parks/resolvers.ts → data/database.ts']);
  });
});

describe('layers', () => {
  it('no module (resolvers, repositories, loaders) or permission rule imports the raw database, the platform handle or the services', () => {
    const files = [...sourceFiles('modules'), ...sourceFiles('authz')];
    expect(files.length).toBeGreaterThan(20);
    expect(rawHandleImports(files)).toEqual([]);
  });

  it('the request context type imports none of them either', () => {
    const context = sourceFiles('').filter((file) => file.path === 'context.ts');
    expect(context).toHaveLength(1);
    expect(rawHandleImports(context)).toEqual([]);
  });

  it('nothing below src/server/ imports a transport (Express, Apollo’s HTTP layer, WebSocket)', () => {
    const files = sourceFiles('').filter(
      (file) => !file.path.startsWith('server/') && !file.path.startsWith('embedded-mongo/') && file.path !== 'main.ts',
    );
    expect(offending(files, (file) => file.packages.filter((name) => TRANSPORT_PACKAGE.test(name)))).toEqual([]);
  });

  it('nothing below src/server/ imports src/server/', () => {
    const files = sourceFiles('').filter((file) => !file.path.startsWith('server/') && file.path !== 'main.ts');
    expect(offending(files, (file) => file.files.filter((target) => target.startsWith('server/')))).toEqual([]);
  });

  it('the data layer imports no feature: it knows collections only through the catalog it is given', () => {
    const files = sourceFiles('data');
    expect(offending(files, (file) => file.files.filter((target) => !target.startsWith('data/')))).toEqual([]);
  });
});

describe('the request context holds capabilities, never the raw handles', () => {
  it('as a type: no property is the Database, the platform handle or the services', () => {
    type Values = RequestContext[keyof RequestContext];
    expectTypeOf<Extract<Values, Database | PlatformDb | Services>>().toBeNever();
    expectTypeOf<RequestContext>().not.toHaveProperty('services');
    expectTypeOf<keyof RequestContext>().toEqualTypeOf<
      | 'requestId'
      | 'principal'
      | 'tenant'
      | 'roles'
      | 'logger'
      | 'caller'
      | 'db'
      | 'loaders'
      | 'members'
      | 'apiKeys'
      | 'bi'
      | 'exportEvents'
      | 'limits'
      | 'jobs'
    >();
  });
});

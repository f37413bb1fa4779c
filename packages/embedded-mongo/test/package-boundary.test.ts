import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(PACKAGE_ROOT, dir), { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

/** Module specifiers of static imports and exports, dynamic import() and require(), as TypeScript reads them. */
function specifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

/** The npm package a bare specifier names: `mingo` for `mingo/query`, `@scope/name` for `@scope/name/x`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** Every specifier of the files under `dir` that leaves the package or names an undeclared package. */
async function strayImports(dir: string, declared: ReadonlySet<string>): Promise<string[]> {
  const stray: string[] = [];
  for (const file of await sourceFiles(dir)) {
    for (const specifier of specifiers(await readFile(file, 'utf8'))) {
      const where = `${relative(PACKAGE_ROOT, file)}: ${specifier}`;
      if (specifier.startsWith('.')) {
        if (!resolve(dirname(file), specifier).startsWith(PACKAGE_ROOT)) stray.push(where);
      } else if (!specifier.startsWith('node:') && !declared.has(packageName(specifier))) stray.push(where);
    }
  }
  return stray;
}

describe('the package stands alone: it imports nothing of the application', () => {
  it('recognises the import forms it checks', () => {
    expect(specifiers('import { a } from \'../../../src/config.js\';\nexport * from "./x.js";')).toEqual([
      '../../../src/config.js',
      './x.js',
    ]);
    expect(specifiers("const m = await import('mingo/query'); require('bson'); import 'node:net';")).toEqual([
      'mingo/query',
      'bson',
      'node:net',
    ]);
    expect(specifiers("// from '../app.js'\nconst flag = ['--import', 'tsx'];")).toEqual([]);
    expect(packageName('@scope/name/sub')).toBe('@scope/name');
  });

  it('reaches, from its sources, only its own files, node built-ins and its declared dependencies', async () => {
    const manifest = JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as Manifest;
    const runtime = new Set(Object.keys(manifest.dependencies ?? {}));
    expect(runtime.size).toBeGreaterThan(0);
    expect(await strayImports('src', runtime)).toEqual([]);
  });

  it('reaches, from its tests and benchmarks, nothing outside itself but declared packages', async () => {
    const manifest = JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as Manifest;
    const all = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
    expect(await strayImports('test', all)).toEqual([]);
    expect(await strayImports('bench', all)).toEqual([]);
  });
});

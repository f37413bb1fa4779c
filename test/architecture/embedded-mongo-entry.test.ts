import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APP_DIRS = ['src', 'test', 'bench', 'scripts', 'examples'];
const ENTRY = '@tenantgraph/embedded-mongo';

/** A specifier that reaches the embedded database other than through its public entry. */
function bypassesEntry(specifier: string): boolean {
  if (specifier === ENTRY) return false;
  return (
    specifier.startsWith(`${ENTRY}/`) || /(^|\/)(packages\/embedded-mongo|embedded-mongo\/src)(\/|$)/.test(specifier)
  );
}

async function appFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const dir of APP_DIRS) {
    const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true }).catch(() => []);
    for (const entry of entries)
      if (entry.isFile() && /\.[cm]?[jt]s$/.test(entry.name)) files.push(join(entry.parentPath, entry.name));
  }
  return files;
}

describe('the application reaches the embedded database through its public entry only', () => {
  it('tells the entry from a reach into the package', () => {
    expect(bypassesEntry(ENTRY)).toBe(false);
    expect(bypassesEntry(`${ENTRY}/src/engine.js`)).toBe(true);
    expect(bypassesEntry('../../packages/embedded-mongo/src/index.js')).toBe(true);
    expect(bypassesEntry('../embedded-mongo/src/index.js')).toBe(true);
    expect(bypassesEntry('mongodb')).toBe(false);
  });

  it('finds no import of the package other than its entry', async () => {
    const offenders: string[] = [];
    let entryImports = 0;
    for (const file of await appFiles()) {
      const imported = ts.preProcessFile(await readFile(file, 'utf8'), true, true).importedFiles;
      for (const { fileName: specifier } of imported) {
        if (specifier === ENTRY) entryImports += 1;
        if (bypassesEntry(specifier)) offenders.push(`${relative(ROOT, file)}: ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
    // The scan is only meaningful if it sees the app's own imports of the entry.
    expect(entryImports).toBeGreaterThan(0);
  });
});

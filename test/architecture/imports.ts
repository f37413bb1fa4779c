import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's src/, the root every path below is relative to. */
export const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/**
 * Every module specifier a source text imports: static imports and re-exports (`import type` too),
 * side-effect imports, dynamic `import()` and `require()`.
 */
export function specifiersOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*(['"`])([^'"`]+)\1/g,
    /\bimport\s*(['"`])([^'"`]+)\1/g,
    /\b(?:import|require)\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) if (match[2]) found.push(match[2]);
  }
  return found;
}

/** A source file of src/ and what it imports: packages by name, own files as paths relative to src/. */
export interface SourceFile {
  path: string;
  packages: string[];
  files: string[];
}

const toPosix = (path: string) => path.split(sep).join('/');

/** Every source file (.ts, .js and kin) under `dir` (relative to src/), with its imports resolved. */
export function sourceFiles(dir = ''): SourceFile[] {
  const root = join(SRC, dir);
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.[cm]?[jt]sx?$/.test(entry.name))
    .map((entry) => {
      const file = join(entry.parentPath, entry.name);
      const specifiers = specifiersOf(readFileSync(file, 'utf8'));
      return {
        path: toPosix(relative(SRC, file)),
        packages: specifiers.filter((specifier) => !specifier.startsWith('.')),
        files: specifiers
          .filter((specifier) => specifier.startsWith('.'))
          .map((specifier) => toPosix(relative(SRC, resolve(dirname(file), specifier))).replace(/\.js$/, '.ts')),
      };
    });
}

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';

/** The folder of the SDL files, resolved from this module so that the working directory does not matter. */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

/**
 * The names of the SDL files of the folder, in name order. Only the top level of the folder is read:
 * its sub-folders hold executable documents (schema/operations/ for the persisted queries), not SDL.
 * codegen reads the same files; each belongs to one module (src/modules/<name>/module.ts).
 */
export function schemaFiles(dir: string = SCHEMA_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.graphql'))
    .map((entry) => entry.name)
    .sort();
}

/**
 * The SDL of `files` (default: every file of the folder) as one document, ready for
 * `buildSubgraphSchema`. Because the files make one document, a file may `extend` a root type that
 * another file defines.
 */
export function loadTypeDefs(dir: string = SCHEMA_DIR, files: readonly string[] = schemaFiles(dir)): DocumentNode {
  const sdl = files.map((file) => readFileSync(join(dir, file), 'utf8')).join('\n');
  return parse(sdl);
}

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse, type DocumentNode } from 'graphql';

/** The folder of the SDL files, resolved from this module so that the working directory does not matter. */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

/**
 * The SDL files of the subgraph, in name order. Only the top level of the folder is read: its
 * sub-folders hold executable documents (schema/operations/ for the persisted queries), not SDL. A
 * new feature file (the Subscription of the export events, say) is picked up without a code change,
 * and because every file is part of one document, a file may `extend` a root type that another file
 * defines.
 */
export function schemaFiles(dir: string = SCHEMA_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.graphql'))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/** The SDL of the subgraph as one document, ready for `buildSubgraphSchema`. */
export function loadTypeDefs(dir: string = SCHEMA_DIR): DocumentNode {
  const sdl = schemaFiles(dir)
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
  return parse(sdl);
}

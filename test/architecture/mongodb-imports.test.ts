import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const DATA_LAYER = `data${sep}`;

/**
 * A module specifier of `mongodb` (or a subpath of it) in a static import or export, a dynamic
 * import() or a require(). `bson`, which the embedded server uses, is a different package.
 */
const MONGODB_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"`])mongodb(?:\/[^'"`]*)?\1/;

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && /\.[cm]?[jt]s$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('the driver is imported by src/data only (ARCHITECTURE.md principle 2)', () => {
  it('recognises every form of import it is meant to catch', () => {
    const caught = [
      "import { MongoClient } from 'mongodb';",
      'import type { Db } from "mongodb";',
      "import 'mongodb';",
      "export { ObjectId } from 'mongodb';",
      "const m = await import('mongodb');",
      'const m = await import(`mongodb`);',
      "const { MongoClient } = require('mongodb');",
      "import { x } from 'mongodb/lib/thing';",
      "import {\n  MongoClient,\n} from 'mongodb';",
    ];
    for (const line of caught) expect(line).toMatch(MONGODB_IMPORT);
    const allowed = ["import { ObjectId } from 'bson';", "import x from 'mongodb-memory';", "const s = 'mongodb://x';"];
    for (const line of allowed) expect(line).not.toMatch(MONGODB_IMPORT);
  });

  it('finds no import of mongodb outside src/data', async () => {
    const files = await sourceFiles(SRC);
    const offenders: string[] = [];
    const dataLayerImports: string[] = [];
    for (const file of files) {
      const path = relative(SRC, file);
      if (!MONGODB_IMPORT.test(await readFile(file, 'utf8'))) continue;
      (path.startsWith(DATA_LAYER) ? dataLayerImports : offenders).push(path);
    }
    expect(offenders).toEqual([]);
    // The scan is only meaningful if it sees the data layer's own imports.
    expect(dataLayerImports.length).toBeGreaterThan(0);
  });
});

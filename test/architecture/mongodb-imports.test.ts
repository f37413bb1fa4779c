import { describe, expect, it } from 'vitest';
import { sourceFiles, specifiersOf } from './imports.js';

/** `mongodb` or a subpath of it. `bson`, which the embedded server uses, is a different package. */
const isMongodb = (specifier: string) => specifier === 'mongodb' || specifier.startsWith('mongodb/');

const importsMongodb = (source: string) => specifiersOf(source).some(isMongodb);

describe('the driver is imported by src/data only (docs/architecture.md, principle 2)', () => {
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
    for (const line of caught) expect(importsMongodb(line), line).toBe(true);
    const allowed = ["import { ObjectId } from 'bson';", "import x from 'mongodb-memory';", "const s = 'mongodb://x';"];
    for (const line of allowed) expect(importsMongodb(line), line).toBe(false);
  });

  it('finds no import of mongodb outside src/data', () => {
    const importers = sourceFiles('')
      .filter((file) => file.packages.some(isMongodb))
      .map((file) => file.path);
    expect(importers.filter((path) => !path.startsWith('data/'))).toEqual([]);
    // The scan is only meaningful if it sees the data layer's own imports.
    expect(importers.filter((path) => path.startsWith('data/')).length).toBeGreaterThan(0);
  });
});

import { CLUSTER_NAME, DATABASE_NAME, type Placement } from '../data/placement.js';
import { badUserInput } from '../errors.js';

/** Databases MongoDB keeps for itself: never a tenant's placement. */
const RESERVED_DATABASES: ReadonlySet<string> = new Set(['admin', 'local', 'config']);

/**
 * A placement as an operator names it: no database and no cluster is the shared database; a database
 * alone, a database of its own on the default cluster; a cluster (the `<NAME>` of `MONGODB_URI_<NAME>`),
 * that cluster's database of the same name as the shared one, or the database named.
 */
export function parsePlacement(input: { database?: string | null; cluster?: string | null }): Placement {
  const database = input.database?.trim() || null;
  const cluster = input.cluster?.trim() || null;
  if (database !== null && (!DATABASE_NAME.test(database) || RESERVED_DATABASES.has(database))) {
    throw badUserInput('placement.database', 'must be 1 to 48 letters, digits, _ or -, starting with a letter');
  }
  if (cluster !== null && !CLUSTER_NAME.test(cluster)) {
    throw badUserInput('placement.cluster', 'must be the NAME of a MONGODB_URI_<NAME> (upper-case letters, digits, _)');
  }
  return { cluster, database };
}

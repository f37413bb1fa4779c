import type { CollectionCatalog } from '../data/collection-catalog.js';
import type { Database } from '../data/database.js';
import type { StagedFiles } from '../staging/staged-files.js';

/** How the purge report names the staged files it deleted. */
const STAGED_FILES = 'staging.files';

export interface PurgeCount {
  collection: string;
  deleted: number;
}

/**
 * Deletes every document of one tenant: from every tenant collection the modules declare (through the
 * tenant's own TenantDb, so only its documents), and from every platform collection, the documents that
 * name it by `tenantId` (memberships, invitations). The list comes from the collection catalog, so a new
 * module's collection is purged without anyone remembering to add it. The tenant's staged files
 * (import and export files, archives) are named `<tenantId>/…` in the staging store rather than
 * documents with a `tenantId`: they are deleted by that prefix, counted as `staging.files`. Returns what
 * each deleted.
 */
export async function purgeTenantData(
  database: Database,
  catalog: CollectionCatalog,
  tenantId: string,
  stagedFiles: StagedFiles,
): Promise<PurgeCount[]> {
  const counts: PurgeCount[] = [];
  const tenantDb = database.forTenant(tenantId);
  for (const collection of catalog.names('tenant')) {
    counts.push({ collection, deleted: await tenantDb.collection(collection).deleteMany({}) });
  }
  for (const collection of catalog.names('platform')) {
    counts.push({ collection, deleted: await database.platform.collection(collection).deleteMany({ tenantId }) });
  }
  counts.push({ collection: STAGED_FILES, deleted: await stagedFiles.deleteTenant(tenantId) });
  return counts;
}

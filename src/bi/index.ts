import type { GraphQLSchema } from 'graphql';
import type { Database } from '../data/database.js';
import { ExportLinks } from './export-links.js';
import { LinkSecrets } from './link-secrets.js';
import { loadManifest, type PersistedQueryManifest } from './manifest.js';
import { TrustedOperationRegistry } from './trusted-operations.js';

/** The long-lived parts of BI access (trusted persisted operations, exports, export links), in Services. */
export interface BiServices {
  trustedOperations: TrustedOperationRegistry;
  exportLinks: ExportLinks;
  /** The per-tenant secret of every self-authorizing URL: export links and the staging's valet URLs. */
  linkSecrets: LinkSecrets;
  /** The origin export links are built on: PUBLIC_URL, else the address the server listens on. */
  publicUrl(): string;
}

/**
 * Loads and checks the repository's manifest against the schema (a problem stops the start-up) and
 * sets up export links over the database.
 */
export function createBiServices(
  database: Database,
  schema: GraphQLSchema,
  publicUrl: () => string,
  manifest: PersistedQueryManifest = loadManifest(),
): BiServices {
  const linkSecrets = new LinkSecrets(database);
  return {
    trustedOperations: new TrustedOperationRegistry(manifest, schema),
    exportLinks: new ExportLinks(linkSecrets),
    linkSecrets,
    publicUrl,
  };
}

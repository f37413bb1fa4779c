import type { LinkSecrets } from '../bi/link-secrets.js';
import type { StagingConfig } from '../config.js';
import type { Database } from '../data/database.js';
import { STAGED_FILES_COLLECTION, type StagedFileDocument, StagedFiles } from './staged-files.js';
import { Staging } from './staging.js';
import { ValetUrls } from './valet-urls.js';

/** The GridFS bucket of the default staging store. */
export const STAGING_BUCKET = 'staging';

/**
 * The staging store the configuration names, with its valet URLs and the records of its files. The AWS
 * SDK is loaded only when the S3-compatible store is configured: it adds seconds to the start-up of
 * every other instance.
 */
export async function createStaging(
  config: StagingConfig,
  database: Database,
  secrets: LinkSecrets,
  publicUrl: () => string,
): Promise<Staging> {
  const store =
    config.store === 's3' ? (await import('./s3-file-store.js')).s3FileStore(config) : database.files(STAGING_BUCKET);
  const files = new StagedFiles(database.platform.collection<StagedFileDocument>(STAGED_FILES_COLLECTION), store);
  return new Staging(store, new ValetUrls(secrets, database), files, {
    publicUrl,
    maxUploadBytes: config.maxUploadBytes,
    urlTtlSeconds: config.urlTtlSeconds,
  });
}

import type { LinkSecrets } from '../bi/link-secrets.js';
import type { StagingConfig } from '../config.js';
import type { Database } from '../data/database.js';
import { s3FileStore } from './s3-file-store.js';
import { Staging } from './staging.js';
import { ValetUrls } from './valet-urls.js';

/** The GridFS bucket of the default staging store. */
export const STAGING_BUCKET = 'staging';

/** The staging store the configuration names, with its valet URLs. */
export function createStaging(
  config: StagingConfig,
  database: Database,
  secrets: LinkSecrets,
  publicUrl: () => string,
): Staging {
  const store = config.store === 's3' ? s3FileStore(config) : database.files(STAGING_BUCKET);
  return new Staging(store, new ValetUrls(secrets, database), {
    publicUrl,
    maxUploadBytes: config.maxUploadBytes,
    urlTtlSeconds: config.urlTtlSeconds,
  });
}

import type { Logger } from 'pino';
import type { Authenticator } from './auth/authenticator.js';
import type { VerifiedScopeCache } from './auth/verified-scopes.js';
import type { BiServices } from './bi/index.js';
import type { Config } from './config.js';
import type { Database } from './data/database.js';
import type { ExportFeed } from './events/feed.js';
import type { Limits } from './limits/limits.js';
import type { JobService } from './jobs/job-service.js';
import type { Staging } from './staging/staging.js';
import type { IdentityDirectory } from './tenancy/identity-directory.js';

/** The long-lived parts of a running server, shared by every request. Built once in src/server/app.ts. */
export interface Services {
  config: Config;
  database: Database;
  identity: IdentityDirectory;
  authenticator: Authenticator;
  /** Credentials verified recently, dropped on every identity change that concerns them. */
  verifiedScopes: VerifiedScopeCache;
  /** The live export events of this instance, fanned out by tenant to exportEvents subscribers. */
  exportFeed: ExportFeed;
  /** Trusted persisted operations, CSV/NDJSON exports and export links (src/bi). */
  bi: BiServices;
  /** Cost, plans and rate limits of this instance (src/limits). */
  limits: Limits;
  /** Import and export files of jobs and their valet URLs (src/staging). */
  staging: Staging;
  /** The durable queue of import and export jobs, and this instance's workers (src/jobs). */
  jobs: JobService;
  logger: Logger;
}

import { defineModule } from '../module.js';

/**
 * Import and export jobs (docs/jobs.md): their staging's single-use upload records so far.
 */
export const jobsModule = defineModule({
  name: 'jobs',
  typeDefs: [],
  resolvers: {},
  collections: [{ name: 'valetUploads', owner: 'tenant', indexes: [{ key: { tenantId: 1, jobId: 1 } }] }],
  permissions: {},
});

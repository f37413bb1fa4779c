import { allOf, can } from '../../authz/rules.js';
import { defineModule } from '../module.js';
import { jobResolvers } from './resolvers.js';

/**
 * Import and export jobs (docs/jobs.md): the tenant's jobs, the shared queue that any instance claims
 * them from (platform collections: the queue is read across tenants by design, src/data/work-queue.ts),
 * the staging's single-use upload records, and the records of staged files (when each may be deleted,
 * src/staging/staged-files.ts).
 */
export const jobsModule = defineModule({
  name: 'jobs',
  typeDefs: ['jobs.graphql'],
  resolvers: jobResolvers,
  collections: [
    { name: 'jobs', owner: 'tenant', indexes: [{ key: { tenantId: 1, _id: 1 } }] },
    { name: 'jobQueue', owner: 'platform', indexes: [{ key: { priority: -1, enqueuedAt: 1 } }] },
    { name: 'jobSlots', owner: 'platform', indexes: [{ key: { jobId: 1 } }] },
    { name: 'valetUploads', owner: 'tenant', indexes: [{ key: { tenantId: 1, jobId: 1 } }] },
    {
      name: 'stagedFiles',
      owner: 'platform',
      indexes: [{ key: { name: 1 }, unique: true }, { key: { deleteAfter: 1 } }],
    },
  ],
  globalIdTypes: ['Job'],
  // Jobs are queued and their files staged outside any transaction: ids derived from the key (ctx.jobs).
  mutations: { createImportJob: 'keyedEffects', createExportJob: 'keyedEffects', cancelJob: 'keyedEffects' },
  permissions: {
    Query: { job: can('readTenantData') },
    Mutation: { createImportJob: can('write'), createExportJob: can('analyze'), cancelJob: can('readTenantData') },
    Subscription: { jobProgress: can('readTenantData') },
    Job: allOf(
      can('readTenantData'),
      'id',
      'kind',
      'status',
      'format',
      'entity',
      'operation',
      'createdAt',
      'startedAt',
      'finishedAt',
      'linesRead',
      'rowsWritten',
      'rowsFailed',
      'errors',
      'failure',
      'downloadUrl',
      'downloadExpiresAt',
    ),
    JobRowError: allOf(can('readTenantData'), 'line', 'message'),
    CreatedImportJob: allOf(can('write'), 'job', 'uploadUrl', 'uploadExpiresAt', 'maxBytes'),
  },
});

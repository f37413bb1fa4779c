import type { RequestContext } from '../../context.js';
import { notFound } from '../../errors.js';
import type { Resolvers } from '../../generated/graphql.js';
import type { JobDocument } from '../../jobs/job-document.js';
import type { ValetUrl } from '../../staging/staging.js';
import { checkedExport } from '../bi/export-link.js';
import { fromGlobalId, toGlobalId } from '../global-id.js';
import { requireTenant } from '../tenant-db-of.js';

/** One download URL per job object resolved: `downloadUrl` and `downloadExpiresAt` describe the same one. */
const downloads = new WeakMap<JobDocument, Promise<ValetUrl | null>>();

function downloadOf(job: JobDocument, ctx: RequestContext): Promise<ValetUrl | null> {
  const known = downloads.get(job);
  if (known) return known;
  const download = requireTenant(ctx.jobs).downloadUrl(job);
  downloads.set(job, download);
  return download;
}

/** A job the caller may see, by its global id; NOT_FOUND for anything else, alike. */
async function visibleJob(ctx: RequestContext, id: string): Promise<JobDocument> {
  const raw = fromGlobalId('Job', id);
  const job = raw ? await requireTenant(ctx.jobs).visible(raw) : null;
  if (!job) throw notFound('Job');
  return job;
}

export const jobResolvers: Resolvers = {
  Query: {
    job: async (_parent, { id }, ctx) => {
      const raw = fromGlobalId('Job', id);
      return raw ? requireTenant(ctx.jobs).visible(raw) : null;
    },
  },
  Mutation: {
    createImportJob: async (_parent, { input }, ctx) => {
      const { job, upload, maxBytes } = await requireTenant(ctx.jobs).createImport(input);
      return { job, uploadUrl: upload.url, uploadExpiresAt: upload.expiresAt.toISOString(), maxBytes };
    },
    createExportJob: async (_parent, { input }, ctx, info) => {
      const { operation, variables } = await checkedExport(ctx, info.schema, input.operation, input.variables, {
        operation: 'input.operation',
        variables: 'input.variables',
      });
      return requireTenant(ctx.jobs).createExport({ operation: operation.name, variables, format: input.format });
    },
    cancelJob: async (_parent, { id }, ctx) => requireTenant(ctx.jobs).cancel((await visibleJob(ctx, id))._id),
  },
  Subscription: {
    jobProgress: {
      subscribe: async (_parent, { id }, ctx) => requireTenant(ctx.jobs).watch((await visibleJob(ctx, id))._id),
      resolve: (job: JobDocument) => job,
    },
  },
  Job: {
    id: (job) => toGlobalId('Job', job._id),
    createdAt: (job) => job.createdAt.toISOString(),
    startedAt: (job) => job.startedAt?.toISOString() ?? null,
    finishedAt: (job) => job.finishedAt?.toISOString() ?? null,
    downloadUrl: async (job, _args, ctx) => (await downloadOf(job, ctx))?.url ?? null,
    downloadExpiresAt: async (job, _args, ctx) => (await downloadOf(job, ctx))?.expiresAt.toISOString() ?? null,
  },
};

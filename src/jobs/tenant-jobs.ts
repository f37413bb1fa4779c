import type { PrincipalRef } from '../auth/principal.js';
import type { Role } from '../authz/roles.js';
import { newId } from '../data/ids.js';
import type { TenantDb } from '../data/tenant-db.js';
import { notFound } from '../errors.js';
import type { ValetUrl } from '../staging/staging.js';
import { jobFile, type ImportEntity, type JobDocument, type JobFormat } from './job-document.js';
import { JobProgress } from './job-progress.js';
import { jobsOf, type JobService } from './job-service.js';

export type NewExportJob = { operation: string; variables: Record<string, unknown> | null; format: JobFormat };

/** The jobs of one tenant, as one caller sees them: a request context's `jobs`. */
export interface TenantJobs {
  /** A new import job, waiting for its file, and the single-use URL to upload it to. */
  createImport(input: { entity: ImportEntity; format: JobFormat }): Promise<{
    job: JobDocument;
    upload: ValetUrl;
    maxBytes: number;
  }>;
  /** A new export job of a trusted operation (the caller checked it exists), queued at once. */
  createExport(input: NewExportJob): Promise<JobDocument>;
  /** The job, when the caller created it or is an ADMIN of the tenant; else null. */
  visible(id: string): Promise<JobDocument | null>;
  /** Cancels a job the caller may see that has not ended (NOT_FOUND otherwise); rows imported stay. */
  cancel(id: string): Promise<JobDocument>;
  /** A time-bound URL of a SUCCEEDED export's file; null for anything else. */
  downloadUrl(job: JobDocument): Promise<ValetUrl | null>;
  /** The job, then again at each change, until it ends; nothing for a job the caller may not see. */
  watch(id: string): Promise<AsyncIterableIterator<JobDocument>>;
}

export interface TenantJobsScope {
  db: TenantDb;
  caller: PrincipalRef;
  roles: ReadonlySet<Role>;
  /**
   * The id of each job the request creates: a fresh one, or one derived from the request's
   * idempotency key, so that a retry after a crash finds the job it created instead of creating
   * another (docs/operations-runtime.md). Default: fresh ones.
   */
  newId?: () => string;
}

const sameRef = (a: PrincipalRef, b: PrincipalRef) => a.kind === b.kind && a.id === b.id;

export function tenantJobs(
  service: JobService,
  { db, caller, roles, newId: jobId = newId }: TenantJobsScope,
): TenantJobs {
  // Nothing touches the database until a method is called: the context is built for every request.
  const jobs = () => jobsOf(db);
  const seenBy = (job: JobDocument | null) =>
    job && (roles.has('ADMIN') || sameRef(job.createdBy, caller)) ? job : null;
  const visible = async (id: string) => seenBy(await jobs().findById(id));

  // A job that exists already under its id is the one an earlier execution of the same request made.
  const insert = (fields: Pick<JobDocument, 'kind' | 'format' | 'entity' | 'operation' | 'variables'>) => {
    const now = new Date();
    return jobs().insertIfMissing({
      ...fields,
      _id: jobId(),
      status: 'PENDING',
      createdBy: caller,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      finishedAt: null,
      uploaded: false,
      runner: null,
      linesRead: 0,
      rowsWritten: 0,
      rowsFailed: 0,
      errors: [],
      failure: null,
    });
  };

  return {
    async createImport({ entity, format }) {
      const job = await insert({ kind: 'IMPORT', format, entity, operation: null, variables: null });
      const maxBytes = service.staging.options.maxUploadBytes;
      const upload = await service.staging.uploadUrl(db, job._id, jobFile(job), { maxBytes });
      return { job, upload, maxBytes };
    },

    async createExport({ operation, variables, format }) {
      const job = await insert({ kind: 'EXPORT', format, entity: null, operation, variables });
      if (job.status === 'PENDING') await service.enqueue(job);
      return job;
    },

    visible,

    async cancel(id) {
      const job = await visible(id);
      if (!job) throw notFound('Job');
      const now = new Date();
      const cancelled = await jobs().updateOne(
        { _id: job._id, status: { $in: ['PENDING', 'RUNNING'] } },
        { $set: { status: 'CANCELLED', finishedAt: now, updatedAt: now } },
      );
      if (!cancelled) return (await jobs().findById(job._id)) ?? job;
      await service.dequeue(job._id);
      // An import's file, an export's partial file: nothing will read them now.
      await service.staging.expire(db.tenantId, job._id, jobFile(job));
      return cancelled;
    },

    async downloadUrl(job) {
      if (job.kind !== 'EXPORT' || job.status !== 'SUCCEEDED') return null;
      return service.staging.downloadUrl(db, job._id, jobFile(job));
    },

    watch(id) {
      return JobProgress.open(
        () => visible(id),
        (tell) => service.watch(db.tenantId, id, tell),
      );
    },
  };
}

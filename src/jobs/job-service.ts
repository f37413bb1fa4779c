import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../data/database.js';
import { isTransientDatabaseError } from '../data/errors.js';
import type { TenantDb } from '../data/tenant-db.js';
import type { WorkQueue } from '../data/work-queue.js';
import type { Plans } from '../limits/plans.js';
import { DEFAULT_PLAN, isPlanName } from '../limits/plans.js';
import { creatorRolesNow } from '../bi/link-creator.js';
import type { Staging } from '../staging/staging.js';
import { tenantOfStagedFile, type StagedFileDocument } from '../staging/staged-files.js';
import type { ValetClaims } from '../staging/valet-urls.js';
import type { IdentityDirectory } from '../tenancy/identity-directory.js';
import { JobFailure, JobPreempted, jobFile, type JobDocument, type JobHandler, type JobKind } from './job-document.js';

/** The collections of jobs (declared by src/modules/jobs/module.ts). */
export const JOB_COLLECTIONS = { jobs: 'jobs', queue: 'jobQueue', slots: 'jobSlots' } as const;

export const jobsOf = (db: TenantDb) => db.collection<JobDocument>(JOB_COLLECTIONS.jobs);

/** The failure of an import whose upload URL expired before a file was uploaded through it. */
export const UPLOAD_MISSED = 'no file was uploaded before the upload URL expired';

export interface JobServiceOptions {
  database: Database;
  staging: Staging;
  identity: IdentityDirectory;
  plans: Plans;
  logger: Logger;
  /** How long a claim lasts without a heartbeat (JOB_LEASE_MS): after a crash, a job waits about this long. */
  leaseMs: number;
  /** How often an idle instance looks for waiting jobs (JOB_POLL_MS). */
  pollMs: number;
  /** Jobs one instance runs at once (JOB_WORKERS). */
  workers: number;
  /** How often this instance deletes the staged files whose time is over (STAGING_SWEEP_MS); 0: never. */
  sweepMs: number;
  /**
   * How long after it started a staged write that never completed is removed by the sweep
   * (STAGING_UNFINISHED_GRACE_SECONDS): longer than any write takes.
   */
  unfinishedGraceMs: number;
}

/**
 * The durable job queue of one instance: jobs are documents of their tenant (`jobs`) and, while
 * runnable, entries of the shared work queue (src/data/work-queue.ts). Each instance claims entries
 * under a lease, renews it while the job runs, and hands the job to the handler of its kind. A job
 * whose instance dies is claimed again by another once the lease has run out, and its handler resumes
 * from the job's checkpoint.
 */
export class JobService {
  readonly #options: JobServiceOptions;
  readonly #queue: WorkQueue;
  readonly #handlers = new Map<JobKind, JobHandler>();
  readonly #running = new Map<string, { owner: string; abort: AbortController; done: Promise<void> }>();
  readonly #instance = randomUUID();
  #stopped = true;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  #sweeping: Promise<unknown> = Promise.resolve();

  constructor(options: JobServiceOptions) {
    this.#options = options;
    this.#queue = options.database.workQueue({ queue: JOB_COLLECTIONS.queue, slots: JOB_COLLECTIONS.slots });
    options.staging.onUploadRequested((claims) => this.#wantsUpload(claims));
    options.staging.onUploaded((claims, size) => this.#uploaded(claims, size));
  }

  get staging(): Staging {
    return this.#options.staging;
  }

  /** Registers what runs the jobs of one kind. */
  handle(kind: JobKind, handler: JobHandler): void {
    this.#handlers.set(kind, handler);
  }

  async #planOf(tenantId: string) {
    const tenant = await this.#options.identity.tenantById(tenantId);
    return this.#options.plans[isPlanName(tenant?.plan) ? tenant.plan : DEFAULT_PLAN];
  }

  /** Makes a job runnable by any instance, at its tenant's plan's priority. */
  async enqueue(job: Pick<JobDocument, '_id' | 'tenantId'>): Promise<void> {
    const { jobPriority } = await this.#planOf(job.tenantId);
    await this.#queue.enqueue({ jobId: job._id, tenantId: job.tenantId, priority: jobPriority });
    this.#wake?.();
  }

  /** Calls `tell` after each change of the job, whichever instance made it; resolves to the function that stops. */
  watch(tenantId: string, jobId: string, tell: () => void): Promise<() => Promise<void>> {
    return this.#options.database.watchDocument(tenantId, JOB_COLLECTIONS.jobs, jobId, tell);
  }

  /** Takes the job off the queue (it was cancelled) and stops it if it runs here. */
  async dequeue(jobId: string): Promise<void> {
    await this.#queue.remove(jobId);
    this.#running.get(jobId)?.abort.abort();
  }

  /**
   * An import's file arrived through its upload URL: the job becomes runnable. A file its job does not
   * take (the job was cancelled meanwhile) is swept once its time is over, as it is not queued.
   */
  /** An upload URL of a job is taken only while the job waits for its file: not once it has ended. */
  async #wantsUpload(claims: ValetClaims): Promise<boolean> {
    const job = await jobsOf(this.#options.database.forTenant(claims.tenantId)).findById(claims.jobId);
    return job === null || (job.kind === 'IMPORT' && job.status === 'PENDING' && !job.uploaded);
  }

  /**
   * Starts the import whose file arrived; false when the job ended (or had its file) meanwhile, so
   * that the file is not kept. Staged files of no job are none of the job service's business.
   */
  async #uploaded(claims: ValetClaims, size: number): Promise<boolean | undefined> {
    const db = this.#options.database.forTenant(claims.tenantId);
    const job = await jobsOf(db).updateOne(
      { _id: claims.jobId, kind: 'IMPORT', status: 'PENDING', uploaded: false },
      { $set: { uploaded: true, updatedAt: new Date() } },
    );
    if (job === null) return (await jobsOf(db).findById(claims.jobId)) === null ? undefined : false;
    if (jobFile(job) === claims.file) {
      this.#options.logger.info({ jobId: job._id, tenantId: job.tenantId, size }, 'import file received');
      await this.enqueue(job);
    }
    return true;
  }

  /**
   * Deletes the staged files whose time is over by `now` (default: the clock's now), except those of
   * jobs still queued (an import's file waiting for its turn, an export being written): downloads past
   * their retention, files of jobs cancelled or ended. Every instance sweeps; two never delete the
   * same file (src/staging/staged-files.ts). Resolves to how many files it deleted.
   */
  sweepStagedFiles(now = new Date()): Promise<number> {
    return this.#options.staging.sweep(now, {
      stillNeeded: (file) => this.#queue.isQueued(file.jobId),
      deleting: (file) => this.#uploadMissed(file),
    });
  }

  /**
   * Removes what the staged writes cut off by a crash (an upload or an export whose instance died)
   * left in the store, once `unfinishedGraceMs` has passed since they started, by `now` (default: the
   * clock's now): GridFS chunks without their file, incomplete S3 multipart uploads. Several
   * instances may do it at once (removing twice is harmless). Resolves to how many writes it removed.
   */
  sweepUnfinishedWrites(now = new Date()): Promise<number> {
    return this.#options.staging.removeUnfinished(new Date(now.getTime() - this.#options.unfinishedGraceMs));
  }

  /**
   * The time of a file has come and its job is not queued: if that job is an import still waiting
   * for its file, its upload URL expired unused (the file was recorded until then, an upload would
   * have extended it and queued the job). It ends FAILED, rather than waiting for ever. Conditional
   * on the job still waiting: an upload that arrives at the same moment either queued it first, or
   * finds it ended and its file is swept later.
   */
  async #uploadMissed(file: StagedFileDocument): Promise<void> {
    const tenantId = tenantOfStagedFile(file);
    const now = new Date();
    const failed = await jobsOf(this.#options.database.forTenant(tenantId)).updateOne(
      { _id: file.jobId, kind: 'IMPORT', status: 'PENDING', uploaded: false },
      { $set: { status: 'FAILED', failure: UPLOAD_MISSED, finishedAt: now, updatedAt: now } },
    );
    if (failed) this.#options.logger.info({ jobId: failed._id, tenantId }, 'import failed: no file was uploaded');
  }

  start(): void {
    this.#stopped = false;
    this.#loop = this.#claimLoop();
    const { sweepMs, logger } = this.#options;
    if (sweepMs > 0) {
      this.#sweeper = setInterval(() => {
        this.#sweeping = Promise.all([
          this.sweepStagedFiles().then(
            (deleted) => {
              if (deleted > 0) logger.info({ deleted }, 'staged files swept');
            },
            (error) => logger.warn({ err: error }, 'staged files: sweep failed'),
          ),
          this.sweepUnfinishedWrites().then(
            (removed) => {
              if (removed > 0) logger.info({ removed }, 'staged files: unfinished writes removed');
            },
            (error) => logger.warn({ err: error }, 'staged files: removing unfinished writes failed'),
          ),
        ]);
      }, sweepMs);
    }
  }

  /** Stops claiming, stops the jobs running here and hands their claims back to the other instances. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    await this.#sweeping;
    this.#wake?.();
    await this.#loop;
    for (const run of this.#running.values()) run.abort.abort();
    await Promise.all([...this.#running.values()].map((run) => run.done));
  }

  async #claimLoop(): Promise<void> {
    const { leaseMs, pollMs, workers, logger } = this.#options;
    while (!this.#stopped) {
      let claimed = null;
      if (this.#running.size < workers) {
        const owner = `${this.#instance}/${randomUUID()}`;
        try {
          claimed = await this.#queue.claim(
            owner,
            leaseMs,
            async (tenantId) => (await this.#planOf(tenantId)).concurrentJobs,
          );
        } catch (error) {
          logger.warn({ err: error }, 'jobs: claiming failed');
        }
        if (claimed) this.#start(claimed.jobId, claimed.tenantId, owner);
      }
      if (!claimed) await this.#idle(pollMs);
    }
  }

  #idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
    });
  }

  #start(jobId: string, tenantId: string, owner: string): void {
    const abort = new AbortController();
    const done = this.#run(jobId, tenantId, owner, abort).finally(() => {
      this.#running.delete(jobId);
      this.#wake?.();
    });
    this.#running.set(jobId, { owner, abort, done });
  }

  async #run(jobId: string, tenantId: string, owner: string, abort: AbortController): Promise<void> {
    const { database, identity, leaseMs, logger, staging } = this.#options;
    const db = database.forTenant(tenantId);
    const log = logger.child({ jobId, tenantId });
    const heartbeat = setInterval(() => {
      this.#queue.renew(jobId, owner, leaseMs).then(
        (held) => {
          if (!held) abort.abort();
        },
        (error) => log.warn({ err: error }, 'jobs: heartbeat failed'),
      );
    }, leaseMs / 3);
    let ended = false;
    let retry = false;
    let input: string | null = null;
    try {
      const now = new Date();
      const job = await jobsOf(db).updateOne(
        { _id: jobId, status: { $in: ['PENDING', 'RUNNING'] } },
        { $set: { status: 'RUNNING', runner: owner, updatedAt: now } },
      );
      if (!job) {
        ended = true;
        return;
      }
      if (!job.startedAt) await jobsOf(db).updateOne({ _id: jobId, runner: owner }, { $set: { startedAt: now } });
      if (job.kind === 'IMPORT') input = jobFile(job);
      const handler = this.#handlers.get(job.kind);
      const tenant = await identity.tenantById(tenantId);
      if (!handler || !tenant) throw new JobFailure('this job cannot run');
      if (tenant.suspendedAt) throw new JobFailure('the tenant is suspended');
      const roles = await creatorRolesNow(identity, job.createdBy, tenantId);
      log.info({ kind: job.kind, resumedAt: job.linesRead }, 'job running');
      await handler({ job, db, roles, runner: owner, staging, signal: abort.signal });
      if (abort.signal.aborted) throw new JobPreempted();
      ended = await this.#finish(db, jobId, owner, { status: 'SUCCEEDED' });
    } catch (error) {
      if (error instanceof JobFailure) {
        ended = await this.#finish(db, jobId, owner, { status: 'FAILED', failure: error.message });
      } else if (isTransientDatabaseError(error) && !abort.signal.aborted) {
        // Tried again from its checkpoint, here or on another instance: the database decides, not the job.
        log.warn({ err: error }, 'job interrupted by a transient database error; it will resume');
        retry = true;
      } else if (!abort.signal.aborted && !(error instanceof JobPreempted)) {
        log.error({ err: error }, 'job failed unexpectedly');
        ended = await this.#finish(db, jobId, owner, { status: 'FAILED', failure: 'internal error' });
      }
      // Otherwise it was cancelled (the cancel wrote its status and took it off the queue), taken over
      // by another instance after a lost lease, or this instance is stopping: it hands the claim back.
    } finally {
      clearInterval(heartbeat);
      if (ended) await this.#queue.complete(jobId, owner);
      else if (this.#stopped || retry) await this.#queue.release(jobId, owner);
    }
    // An import's file has served its purpose once the import ended, whichever way.
    if (ended && input) {
      await staging.delete(tenantId, jobId, input).catch((error) => {
        log.warn({ err: error }, 'jobs: deleting the import file failed; the sweep will');
      });
    }
  }

  /** Ends the job as this run's outcome, unless it is no longer this run's; true when the job has ended. */
  async #finish(db: TenantDb, jobId: string, owner: string, outcome: Partial<JobDocument>): Promise<boolean> {
    const now = new Date();
    const ended = await jobsOf(db).updateOne(
      { _id: jobId, runner: owner, status: 'RUNNING' },
      { $set: { ...outcome, finishedAt: now, updatedAt: now } },
    );
    return ended !== null;
  }
}

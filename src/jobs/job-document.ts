import type { PrincipalRef } from '../auth/principal.js';
import type { Role } from '../authz/roles.js';
import type { TenantDb } from '../data/tenant-db.js';
import type { Staging } from '../staging/staging.js';

export type JobKind = 'IMPORT' | 'EXPORT';
export type JobStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type JobFormat = 'CSV' | 'NDJSON';
export type ImportEntity = 'PARK' | 'RESERVATION';

export const FINISHED: ReadonlySet<JobStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** Invalid lines kept per job; the count goes on past it. */
export const MAX_KEPT_ERRORS = 1000;

export interface JobRowError {
  line: number;
  message: string;
}

/** A job in the tenant collection `jobs`: what it does, who created it, and how far it got. */
export interface JobDocument {
  _id: string;
  tenantId: string;
  kind: JobKind;
  status: JobStatus;
  format: JobFormat;
  entity: ImportEntity | null;
  operation: string | null;
  variables: Record<string, unknown> | null;
  /** The credential that created it: the job runs with that credential's rights as they are when it runs. */
  createdBy: PrincipalRef;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Imports: true once its file arrived. */
  uploaded: boolean;
  /** The instance run (owner) that holds the job now: every checkpoint write is conditional on it. */
  runner: string | null;
  /** Imports: the last line of the file whose outcome is committed (the checkpoint); exports: rows written. */
  linesRead: number;
  rowsWritten: number;
  rowsFailed: number;
  errors: JobRowError[];
  failure: string | null;
}

/** The staged file of a job: `input.csv` for an import, `output.ndjson` for an export. */
export const jobFile = (job: Pick<JobDocument, 'kind' | 'format'>) =>
  `${job.kind === 'IMPORT' ? 'input' : 'output'}.${job.format === 'CSV' ? 'csv' : 'ndjson'}`;

/** A problem that ends the whole job as FAILED, with a message for its owner. */
export class JobFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobFailure';
  }
}

/** The job lost its claim (cancelled, or taken over by another instance after a lost lease): stop quietly. */
export class JobPreempted extends Error {
  constructor() {
    super('the job is no longer this run’s');
    this.name = 'JobPreempted';
  }
}

/** What a job handler gets: the job as claimed, its tenant's data, and its creator's roles now. */
export interface JobRun {
  job: JobDocument;
  db: TenantDb;
  /** The roles the creating credential holds in the tenant now. */
  roles: readonly Role[];
  /** This run's claim: checkpoint writes must match it (`runner`). */
  runner: string;
  staging: Staging;
  /** Aborted when the job is cancelled or its lease is lost. */
  signal: AbortSignal;
}

export type JobHandler = (run: JobRun) => Promise<void>;

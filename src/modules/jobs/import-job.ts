import { createHash } from 'node:crypto';
import type { GraphQLSchema } from 'graphql';
import { holds } from '../../authz/abilities.js';
import type { TenantDb } from '../../data/tenant-db.js';
import { isAppError } from '../../errors.js';
import type { CreateParkInput, CreateReservationInput } from '../../generated/graphql.js';
import {
  JobFailure,
  JobPreempted,
  MAX_KEPT_ERRORS,
  jobFile,
  type ImportEntity,
  type JobHandler,
  type JobRowError,
  type JobRun,
} from '../../jobs/job-document.js';
import { jobsOf } from '../../jobs/job-service.js';
import { parseCreateParkInput } from '../parks/park-input.js';
import { insertParks } from '../parks/park-repository.js';
import { parkNotNamed, parseCreateReservationInput } from '../reservations/reservation-input.js';
import { existingParkIds, insertReservations } from '../reservations/reservation-repository.js';
import { importRecords, inputTypeOf, type ImportRecord } from './import-records.js';

/** Data lines per transaction: each batch writes its rows, their events and the job's checkpoint at once. */
export const IMPORT_BATCH_LINES = 1000;

/** The id of the row of one line of one job: the same on every attempt, so no line is written twice. */
export const importRowId = (jobId: string, line: number) =>
  createHash('sha256').update(`${jobId}:${line}`).digest('hex').slice(0, 24);

interface ValidRow<TFields> {
  line: number;
  fields: TFields;
}

/** What an import needs of the entity's module: the mutation's input validation and its batch write. */
interface ImportTarget<TFields> {
  inputType: string;
  parse(input: Record<string, unknown>): TFields;
  /** Writes the rows in `tx`; returns the lines refused only now (a reservation's park is gone). */
  write(tx: TenantDb, jobId: string, rows: ValidRow<TFields>[]): Promise<JobRowError[]>;
}

const rowsWithIds = <T>(jobId: string, rows: ValidRow<T>[]) =>
  rows.map(({ line, fields }) => ({ _id: importRowId(jobId, line), fields }));

const TARGETS: { [E in ImportEntity]: ImportTarget<unknown> } = {
  PARK: {
    inputType: 'CreateParkInput',
    parse: (input) => parseCreateParkInput(input as unknown as CreateParkInput),
    async write(tx, jobId, rows) {
      await insertParks(tx, rowsWithIds(jobId, rows as ValidRow<ReturnType<typeof parseCreateParkInput>>[]));
      return [];
    },
  },
  RESERVATION: {
    inputType: 'CreateReservationInput',
    parse: (input) => parseCreateReservationInput(input as unknown as CreateReservationInput),
    async write(tx, jobId, all) {
      const rows = all as ValidRow<ReturnType<typeof parseCreateReservationInput>>[];
      const parks = await existingParkIds(
        tx,
        rows.map((row) => row.fields.parkId),
      );
      const known = rows.filter((row) => parks.has(row.fields.parkId));
      await insertReservations(tx, rowsWithIds(jobId, known));
      return rows
        .filter((row) => !parks.has(row.fields.parkId))
        .map(({ line }) => ({ line, message: parkNotNamed().message }));
    },
  },
};

/** A record checked by the entity's validation: the mutation's own, so an import refuses what the mutation refuses. */
function validated<T>(target: ImportTarget<T>, record: ImportRecord): ValidRow<T> | JobRowError {
  if ('problem' in record) return { line: record.line, message: record.problem };
  try {
    return { line: record.line, fields: target.parse(record.input) };
  } catch (error) {
    if (isAppError(error)) return { line: record.line, message: error.message };
    throw error;
  }
}

/**
 * Commits one batch: the valid rows with their events, and the checkpoint (the batch's last line, the
 * counts, the first errors), in one transaction. The checkpoint write is conditional on this run still
 * holding the job at the checkpoint it started from, so a run that lost its claim commits nothing.
 */
async function commitBatch(
  run: JobRun,
  target: ImportTarget<unknown>,
  batch: { from: number; to: number; rows: ValidRow<unknown>[]; errors: JobRowError[] },
  keptErrors: number,
): Promise<number> {
  const { job, db, runner } = run;
  return db.withTransaction(async (tx) => {
    const refused = batch.rows.length > 0 ? await target.write(tx, job._id, batch.rows) : [];
    const errors = [...batch.errors, ...refused].sort((a, b) => a.line - b.line);
    const kept = errors.slice(0, Math.max(0, MAX_KEPT_ERRORS - keptErrors));
    const updated = await jobsOf(tx).updateOne(
      { _id: job._id, runner, status: 'RUNNING', linesRead: batch.from },
      {
        $set: { linesRead: batch.to, updatedAt: new Date() },
        $inc: { rowsWritten: batch.rows.length - refused.length, rowsFailed: errors.length },
        ...(kept.length > 0 ? { $push: { errors: { $each: kept } } } : {}),
      },
    );
    if (!updated) throw new JobPreempted();
    return keptErrors + kept.length;
  });
}

/**
 * Runs an import job: reads its staged file line by line from its checkpoint, validates each line as
 * the create mutation validates its input, and writes the valid rows with their events in batches.
 * Each row's id derives from the job and its line, and each batch commits with the checkpoint, so a
 * job resumed after a crash writes every row exactly once.
 */
export function importHandler(schema: GraphQLSchema): JobHandler {
  return async (run) => {
    const { job, staging, signal } = run;
    if (!holds(new Set(run.roles), 'write')) {
      throw new JobFailure('the credential that created this job may no longer write in this tenant');
    }
    const target = TARGETS[job.entity ?? 'PARK'];
    const file = await staging.get(job.tenantId, job._id, jobFile(job));
    if (!file) throw new JobFailure('the uploaded file is gone');
    let from = job.linesRead;
    let keptErrors = job.errors.length;
    let batch = { rows: [] as ValidRow<unknown>[], errors: [] as JobRowError[], lines: 0, last: from };
    // The previous batch's commit, under way while the next batch is read and checked: the database
    // writes one batch while this process parses the next. Commits stay one after the other (each is
    // conditional on the checkpoint the one before wrote), so at most two batches are in memory.
    let committing: Promise<void> = Promise.resolve();
    const flush = async () => {
      const full = batch;
      batch = { rows: [], errors: [], lines: 0, last: full.last };
      await committing;
      const start = from;
      from = full.last;
      committing = commitBatch(run, target, { from: start, to: full.last, ...full }, keptErrors).then((kept) => {
        keptErrors = kept;
      });
      // Observed at the next flush or at the end; never an unhandled rejection meanwhile.
      committing.catch(() => undefined);
    };
    try {
      for await (const record of importRecords(file, job.format, inputTypeOf(schema, target.inputType))) {
        if (signal.aborted) throw new JobPreempted();
        if (record.line <= from) continue;
        const checked = validated(target, record);
        if ('fields' in checked) batch.rows.push(checked);
        else batch.errors.push(checked);
        batch.lines += 1;
        batch.last = record.line;
        if (batch.lines >= IMPORT_BATCH_LINES) await flush();
      }
      if (batch.lines > 0) await flush();
      await committing;
    } finally {
      file.destroy();
      // A commit still under way when reading failed ends before the run does.
      await committing.catch(() => undefined);
    }
  };
}

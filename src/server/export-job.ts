import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { ExportLinkPrincipal } from '../auth/principal.js';
import { holds } from '../authz/abilities.js';
import { OperationDocumentError } from '../bi/manifest.js';
import { csvHeader, csvRows, ndjsonRows, pageOf, tabularShape, type TabularShape } from '../bi/tabular.js';
import { documentOf } from '../bi/trusted-operations.js';
import type { RequestContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import { JobFailure, JobPreempted, jobFile, type JobHandler, type JobRun } from '../jobs/job-document.js';
import { jobsOf } from '../jobs/job-service.js';
import type { Services } from '../services.js';
import { toActive } from '../tenancy/active-tenant.js';
import { runPage } from './bi-export.js';
import { contextFor } from './request-context.js';

/** How long a page refused with RATE_LIMITED waits before it is asked again, and how often. */
const RATE_LIMITED_WAIT_MS = 1000;
const RATE_LIMITED_TRIES = 60;

/**
 * The request context an export job runs its operation in: like an export link's, a principal of its
 * own bound to the job's tenant, its one operation, and its creator's roles now (src/bi/link-creator.ts).
 */
async function jobContext(services: Services, run: JobRun): Promise<RequestContext> {
  const { job, roles } = run;
  const tenant = await services.identity.tenantById(job.tenantId);
  if (!tenant || !job.operation) throw new JobFailure('this job cannot run');
  const principal: ExportLinkPrincipal = {
    kind: 'exportLink',
    tenantId: tenant._id,
    createdBy: job.createdBy,
    operation: job.operation,
    roles,
    expiresAt: new Date(Date.now() + 24 * 3600 * 1000),
  };
  return contextFor(services, {
    requestId: randomUUID(),
    principal,
    tenant: toActive(tenant),
    roles: new Set(roles),
  });
}

/**
 * Runs an export job: the trusted operation through Apollo (so the persisted-query plugin, the
 * permission map, the cost limits and the rate limits apply as on /graphql), page after page, into the
 * staging store as CSV (formula-leading cells neutralised) or NDJSON. A page refused by the rate limit
 * waits and is asked again. A job resumed after a crash starts the file over: it replaces the partial one.
 */
export function exportHandler(
  services: Services,
  apollo: ApolloServer<RequestContext>,
  schema: GraphQLSchema,
): JobHandler {
  return async (run) => {
    const { job, runner, signal, staging } = run;
    if (!holds(new Set(run.roles), 'analyze')) {
      throw new JobFailure('the credential that created this job may no longer run trusted operations in this tenant');
    }
    const ctx = await jobContext(services, run);
    const operation = await ctx.bi?.operations.byName(job.operation ?? '');
    if (!operation) throw new JobFailure(`the trusted operation ${job.operation} no longer exists`);
    let shape: TabularShape;
    try {
      shape = tabularShape(schema, documentOf(operation));
    } catch (error) {
      if (error instanceof OperationDocumentError) throw new JobFailure(`${operation.name} ${error.message}`);
      throw error;
    }
    const page = async (variables: Record<string, unknown>) => {
      for (let attempt = 1; ; attempt++) {
        const result = await runPage(apollo, { ctx, operation }, variables);
        if (result.ok) return result.data;
        const limited = result.errors[0]?.extensions?.code === ErrorCode.RATE_LIMITED;
        if (!limited || attempt >= RATE_LIMITED_TRIES) {
          throw new JobFailure(`${operation.name} failed: ${result.errors[0]?.message ?? 'unknown error'}`);
        }
        await sleep(RATE_LIMITED_WAIT_MS, undefined, { signal });
      }
    };
    async function* chunks() {
      if (job.format === 'CSV') yield csvHeader(shape);
      let variables = job.variables ?? {};
      let previousCursor: string | null = null;
      let rows = 0;
      for (;;) {
        if (signal.aborted) throw new JobPreempted();
        const { rows: pageRows, nextCursor } = pageOf(shape, await page(variables));
        yield job.format === 'CSV' ? csvRows(shape, pageRows) : ndjsonRows(pageRows);
        rows += pageRows.length;
        ctx.limits?.recordExportedRows(pageRows.length);
        const progressed = await jobsOf(run.db).updateOne(
          { _id: job._id, runner, status: 'RUNNING' },
          { $set: { linesRead: rows, rowsWritten: rows, updatedAt: new Date() } },
        );
        if (!progressed) throw new JobPreempted();
        if (nextCursor === null || nextCursor === previousCursor) return;
        previousCursor = nextCursor;
        variables = { ...variables, after: nextCursor };
      }
    }
    await staging.put(job.tenantId, job._id, jobFile(job), Readable.from(chunks()), {
      keepSeconds: services.config.staging.exportFileTtlSeconds,
    });
  };
}

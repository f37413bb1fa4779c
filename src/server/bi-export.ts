import { once } from 'node:events';
import type { ApolloServer } from '@apollo/server';
import type { Response } from 'express';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { ExportFormat } from '../bi/export-links.js';
import { OperationDocumentError } from '../bi/manifest.js';
import { csvHeader, csvRows, ndjsonRows, pageOf, tabularShape, type TabularShape } from '../bi/tabular.js';
import { documentOf, type TrustedOperation } from '../bi/trusted-operations.js';
import type { RequestContext } from '../context.js';
import { AppError, ErrorCode, httpStatusOf, isErrorCode, toClientError } from '../errors.js';

/** Rows one export returns at most; past it the download is cut (an error for the client, never a silent truncation). */
export const MAX_EXPORT_ROWS = 100_000;

const CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  CSV: 'text/csv; charset=utf-8; header=present',
  NDJSON: 'application/x-ndjson; charset=utf-8',
};

/**
 * The HTTP status of a failed export: that of its first error's code, except that an export of an
 * operation that does not exist is a file that does not exist (404), not an APQ hash to send again.
 */
export const statusOfErrors = (errors: readonly GraphQLFormattedError[]): number => {
  const code = errors[0]?.extensions?.code;
  if (code === ErrorCode.PERSISTED_QUERY_NOT_FOUND) return 404;
  return httpStatusOf(isErrorCode(code) ? code : ErrorCode.INTERNAL_SERVER_ERROR);
};

/** An error answer of the BI routes, shaped like a GraphQL response so that clients read one format. */
export function sendErrors(
  res: Response,
  errors: readonly GraphQLFormattedError[],
  status = statusOfErrors(errors),
): void {
  res.status(status).set('cache-control', 'no-store').json({ errors });
}

/** An AppError as it leaves the server: its message and code, nothing else. */
export function formatAppError(error: AppError): GraphQLFormattedError {
  const { http: _status, ...extensions } = error.extensions;
  return { message: error.message, extensions };
}

/** Writes and waits while the socket's buffer is full, so a slow reader holds back the export, not memory. */
async function write(res: Response, chunk: string): Promise<void> {
  if (chunk.length === 0 || res.write(chunk)) return;
  await Promise.race([once(res, 'drain'), once(res, 'close')]);
}

export interface ExportRun {
  ctx: RequestContext;
  operation: TrustedOperation;
  variables: Record<string, unknown>;
  format: ExportFormat;
  /** Response headers besides the content type (caching, disposition). */
  headers: Record<string, string>;
}

export type PageResult =
  | { ok: true; data: unknown }
  | { ok: false; errors: readonly GraphQLFormattedError[]; status: number };

/**
 * Runs a trusted operation by its hash through Apollo (`executeOperation`), so that everything a
 * request over /graphql gets applies: the persisted-query plugin (safelist, the key's operation list,
 * the roles of BI), the permission map, the query limits, error masking, logs and metrics.
 */
export async function runPage(
  apollo: ApolloServer<RequestContext>,
  run: Pick<ExportRun, 'ctx' | 'operation'>,
  variables: Record<string, unknown>,
): Promise<PageResult> {
  const response = await apollo.executeOperation(
    {
      operationName: run.operation.name,
      variables,
      extensions: { persistedQuery: { version: 1, sha256Hash: run.operation.hash } },
    },
    { contextValue: run.ctx },
  );
  if (response.body.kind !== 'single') {
    return {
      ok: false,
      errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }],
      status: httpStatusOf(ErrorCode.INTERNAL_SERVER_ERROR),
    };
  }
  const { data, errors } = response.body.singleResult;
  if (errors && errors.length > 0) {
    const status = response.http.status && response.http.status >= 400 ? response.http.status : statusOfErrors(errors);
    return { ok: false, errors, status };
  }
  return { ok: true, data };
}

/**
 * Streams the rows of a trusted operation as CSV or NDJSON: the first page decides the answer (an
 * error is a JSON error response with its status, before any row); later pages, when the operation
 * pages (see tabular.ts), are read one at a time as the client takes the previous ones. A failure
 * after the first row can no longer change the status: the connection is cut, so that the client sees
 * a failed download rather than a file that looks complete.
 */
export async function streamExport(
  apollo: ApolloServer<RequestContext>,
  schema: GraphQLSchema,
  res: Response,
  run: ExportRun,
): Promise<void> {
  let shape: TabularShape;
  try {
    shape = tabularShape(schema, documentOf(run.operation));
  } catch (error) {
    if (!(error instanceof OperationDocumentError)) throw error;
    sendErrors(res, [formatAppError(new AppError(ErrorCode.BAD_USER_INPUT, `${run.operation.name} ${error.message}`))]);
    return;
  }
  let result = await runPage(apollo, run, run.variables);
  if (!result.ok) {
    sendErrors(res, result.errors, result.status);
    return;
  }
  res
    .status(200)
    .set({ ...run.headers, 'content-type': CONTENT_TYPES[run.format], 'x-content-type-options': 'nosniff' });
  if (run.format === 'CSV') await write(res, csvHeader(shape));
  let written = 0;
  let previousCursor: string | null = null;
  for (;;) {
    const page = pageOf(shape, result.data);
    written += page.rows.length;
    if (written > MAX_EXPORT_ROWS) {
      run.ctx.logger.warn({ operationName: run.operation.name, maxRows: MAX_EXPORT_ROWS }, 'export cut: too many rows');
      res.destroy();
      return;
    }
    await write(res, run.format === 'CSV' ? csvRows(shape, page.rows) : ndjsonRows(page.rows));
    run.ctx.limits?.recordExportedRows(page.rows.length);
    if (res.destroyed || page.nextCursor === null || page.nextCursor === previousCursor) break;
    previousCursor = page.nextCursor;
    result = await runPage(apollo, run, { ...run.variables, after: page.nextCursor });
    if (!result.ok) {
      run.ctx.logger.warn(
        { operationName: run.operation.name, errors: result.errors },
        'export cut: a later page failed',
      );
      res.destroy();
      return;
    }
  }
  res.end();
}

/** Maps what a BI route throws before streaming: our errors by code, anything else as internal. */
export function answerError(res: Response, error: unknown, report: (error: unknown) => void): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const clientError = toClientError(error);
  if (clientError.code === ErrorCode.INTERNAL_SERVER_ERROR) report(clientError.cause ?? error);
  sendErrors(res, [formatAppError(clientError)]);
}

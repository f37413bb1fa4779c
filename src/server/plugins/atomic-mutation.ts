import { HeaderMap, type GraphQLResponse } from '@apollo/server';
import {
  execute,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { RequestContext } from '../../context.js';
import { isTransientDatabaseError } from '../../data/errors.js';
import type { TenantDb } from '../../data/tenant-db.js';
import { ErrorCode } from '../../errors.js';
import type { StoredResponse } from '../../modules/idempotency/key-store.js';
import type { Loaders } from '../../modules/loaders.js';

/** Responses that say nothing was done, or that what was done is unknown: not kept, a retry executes. */
const NOT_KEPT: ReadonlySet<unknown> = new Set([ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.RATE_LIMITED]);

/** Whether a response may be stored and replayed for its key. */
export const isKept = (body: { errors?: readonly GraphQLFormattedError[] }): boolean =>
  !(body.errors ?? []).some((error) => NOT_KEPT.has(error.extensions?.code));

/**
 * True when every root field of the mutation is one of `atomic`: fields whose writes all go through
 * the request's tenant data (`ctx.db`), so that running them in one transaction puts every effect of
 * the request in it. Fragments on the root are not looked into: such a request takes the other way.
 */
export function onlyAtomicFields(operation: OperationDefinitionNode, atomic: ReadonlySet<string>): boolean {
  return operation.selectionSet.selections.every(
    (selection) =>
      selection.kind === Kind.FIELD && (selection.name.value === '__typename' || atomic.has(selection.name.value)),
  );
}

/** What the transaction ends with when its response must not be kept: it aborts, and the response is sent. */
export class NotKept extends Error {
  constructor(readonly response: GraphQLResponse) {
    super('the response of this mutation is not kept');
    this.name = 'NotKept';
  }
}

/** What the transaction ends with when execution never started (its variables were refused): it aborts. */
export class NotExecuted extends Error {
  constructor() {
    super('the mutation did not execute');
    this.name = 'NotExecuted';
  }
}

export interface AtomicExecution {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  context: RequestContext;
  /** The tenant data of the transaction the mutation runs in. */
  tx: TenantDb;
  loaders: (db: TenantDb) => Loaders;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Stores the response in `tx`, with the mutation's writes. */
  store: (response: StoredResponse) => Promise<void>;
}

/** The HTTP status and headers an error asks for (a RATE_LIMITED's 429 and Retry-After), as Apollo reads them. */
function httpOf(errors: readonly GraphQLError[]): { status?: number; headers: HeaderMap } {
  const headers = new HeaderMap();
  const http = errors
    .map((error) => error.extensions?.http as { status?: number; headers?: Map<string, string> })
    .find((marked) => marked !== undefined);
  for (const [name, value] of http?.headers ?? []) headers.set(name, value);
  return { status: http?.status, headers };
}

/**
 * Executes a mutation inside `tx` and stores its response there too, so that the changes and the
 * response that replays them commit as one (docs/operations-runtime.md, idempotency keys). Every
 * resolver gets the request's context with `tx` as its tenant data and loaders over it: its own
 * `withTransaction` joins `tx`, its reads see its writes. Throws what must end the transaction:
 * a transient error of any resolver (write conflict, primary lost: the driver runs it all again),
 * NotKept, NotExecuted.
 */
export async function executeAtomically(run: AtomicExecution): Promise<GraphQLResponse> {
  const contextValue: RequestContext = { ...run.context, db: run.tx, loaders: run.loaders(run.tx) };
  const result: ExecutionResult = await execute({
    schema: run.schema,
    document: run.document,
    contextValue,
    variableValues: run.variables,
    operationName: run.operationName,
  });
  const errors = result.errors ?? [];
  if (!('data' in result)) throw new NotExecuted();
  const transient = errors.map((error) => error.originalError).find(isTransientDatabaseError);
  if (transient !== undefined) throw transient;
  const formatted = errors.map((error) => run.formatError(error.toJSON(), error));
  const singleResult = { data: result.data, ...(formatted.length > 0 && { errors: formatted }) };
  const { status = 200, headers } = httpOf(errors);
  const response: GraphQLResponse = { http: { status, headers }, body: { kind: 'single', singleResult } };
  if (!isKept(singleResult)) throw new NotKept(response);
  await run.store({ status, body: JSON.stringify(singleResult) });
  return response;
}

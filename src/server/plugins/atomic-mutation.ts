import { HeaderMap, type GraphQLResponse } from '@apollo/server';
import {
  execute,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { RequestContext } from '../../context.js';
import { isTransientDatabaseError } from '../../data/errors.js';
import { ErrorCode } from '../../errors.js';
import type { StoredResponse } from '../../modules/idempotency/key-store.js';
import type { MutationRetry } from '../../modules/module.js';

/** Responses that say nothing was done, or that what was done is unknown: not kept, a retry executes. */
const NOT_KEPT: ReadonlySet<unknown> = new Set([ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.RATE_LIMITED]);

/** Whether a response may be stored and replayed for its key. */
export const isKept = (body: { errors?: readonly GraphQLFormattedError[] }): boolean =>
  !(body.errors ?? []).some((error) => NOT_KEPT.has(error.extensions?.code));

const RETRIES: Readonly<Record<MutationRetry, string>> = {
  tenantTransaction: "commits with the tenant's data",
  sharedTransaction: "commits with the platform's data",
  keyedEffects: 'has effects outside any one transaction',
};

/** The root fields of a selection set, through its fragments (`__typename` aside). */
function rootFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === '__typename' ? [] : [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFields(selection.selectionSet, fragments, seen);
    const fragment = fragments.get(selection.name.value);
    if (fragment === undefined || seen.has(fragment.name.value)) return [];
    seen.add(fragment.name.value);
    return rootFields(fragment.selectionSet, fragments, seen);
  });
}

/**
 * How a keyed mutation is made safe to retry: the way all its root fields share (`mutations`, as the
 * modules declare them). Root fields of different ways cannot be made one fact with one response (a
 * transaction cannot span the tenant's placement and the shared database, nor hold a queued job):
 * such a request is refused, naming two of them, and nothing runs.
 */
export function retryOf(
  operation: OperationDefinitionNode,
  document: DocumentNode,
  mutations: ReadonlyMap<string, MutationRetry>,
): { retry: MutationRetry } | { refused: string } {
  const fragments = new Map(
    document.definitions
      .filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment] as const),
  );
  const fields = rootFields(operation.selectionSet, fragments).map((field) => ({
    field,
    retry: mutations.get(field) ?? 'keyedEffects',
  }));
  const [first, ...others] = fields;
  if (first === undefined) return { retry: 'tenantTransaction' };
  const other = others.find(({ retry }) => retry !== first.retry);
  if (other === undefined) return { retry: first.retry };
  return {
    refused:
      `${first.field} and ${other.field} cannot be retried safely as one request: ${first.field} ` +
      `${RETRIES[first.retry]}, ${other.field} ${RETRIES[other.retry]}. Send them as separate requests, ` +
      'each with its own Idempotency-Key',
  };
}

/** What the execution ends with when its response must not be kept: a transaction aborts, the response is sent. */
export class NotKept extends Error {
  constructor(readonly response: GraphQLResponse) {
    super('the response of this mutation is not kept');
    this.name = 'NotKept';
  }
}

/** What the execution ends with when it never started (its variables were refused): a transaction aborts. */
export class NotExecuted extends Error {
  constructor() {
    super('the mutation did not execute');
    this.name = 'NotExecuted';
  }
}

export interface KeptExecution {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  /** The context the resolvers get: over the transaction's data when the mutation runs in one. */
  context: RequestContext;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Stores the response under the key: in the transaction holding the mutation's writes, or after them. */
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
 * Executes a keyed mutation and stores its response, so that a retry replays it
 * (docs/operations-runtime.md, idempotency keys). With a context over a transaction's data, every
 * resolver's own `withTransaction` joins it and its reads see its writes, and `store` writes into the
 * same transaction: the changes and the response that replays them commit as one. Throws what must
 * end such a transaction: a transient error of any resolver (write conflict, primary lost: the
 * driver runs it all again), NotKept, NotExecuted.
 */
export async function executeKept(run: KeptExecution): Promise<GraphQLResponse> {
  const result: ExecutionResult = await execute({
    schema: run.schema,
    document: run.document,
    contextValue: run.context,
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

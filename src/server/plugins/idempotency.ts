import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { principalKey } from '../../auth/principal.js';
import type { RequestContext } from '../../context.js';
import type { PlatformDb } from '../../data/platform-db.js';
import type { TenantDb } from '../../data/tenant-db.js';
import { AppError, ErrorCode, httpStatusOf, toClientError } from '../../errors.js';
import {
  ClaimLostError,
  claimKey,
  type KeyCollection,
  type KeyDecision,
  type KeyScope,
  type KeyStoreOptions,
  type OwnedKey,
} from '../../modules/idempotency/key-store.js';
import type { MutationRetry } from '../../modules/module.js';
import type { ContextData } from '../request-context.js';
import { executeKept, type KeptExecution, NotExecuted, NotKept, retryOf } from './atomic-mutation.js';

/** The contract's key: 1 to 255 printable characters (ASCII: header values carry no other reliably). */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/** JSON with object keys in order, so that the same variables always give the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const errorResponse = (error: AppError): GraphQLResponse => ({
  http: { status: httpStatusOf(error.code), headers: new HeaderMap() },
  body: { kind: 'single', singleResult: { errors: [{ message: error.message, extensions: { code: error.code } }] } },
});

/** A claim that did not give the request the key ends the transaction the request would have run in. */
class Decided extends Error {
  constructor(readonly decision: Exclude<KeyDecision, { kind: 'execute' }>) {
    super('the idempotency key was decided without executing');
    this.name = 'Decided';
  }
}

const replay = ({ status, body }: { status: number; body: string }): GraphQLResponse => ({
  http: { status, headers: new HeaderMap() },
  body: { kind: 'single', singleResult: JSON.parse(body) },
});

export interface IdempotencyOptions extends KeyStoreOptions {
  /** How each root mutation is made safe to retry (the modules' declarations). */
  mutations: ReadonlyMap<string, MutationRetry>;
  /** The request's context with its capabilities over other data (a transaction's) or derived ids. */
  contextIn: (ctx: RequestContext, data: Partial<ContextData>) => RequestContext;
  /** The server's error formatting (what Apollo applies to the responses it executes). */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

/** Where a transaction that holds a mutation with its response runs, and where its key is kept. */
const TRANSACTIONS = {
  tenantTransaction: {
    keys: 'idempotencyKeys',
    run: <T>(db: TenantDb, fn: (tx: TenantDb, platform?: PlatformDb) => Promise<T>) => db.withTransaction(fn),
  },
  sharedTransaction: {
    keys: 'sharedIdempotencyKeys',
    run: <T>(db: TenantDb, fn: (tx: TenantDb, platform?: PlatformDb) => Promise<T>) => db.withSharedTransaction(fn),
  },
} as const satisfies Record<string, { keys: KeyCollection; run: unknown }>;

/**
 * Idempotency keys (contract section 11). A mutation with an `Idempotency-Key` header executes once per
 * key, credential and tenant within 24 hours: a later request with the same key gets the stored
 * response with `Idempotent-Replayed: true`, one with a different body BAD_USER_INPUT, and a concurrent
 * one waits for the first. The key is ignored on queries and subscriptions (reading is safe to retry)
 * and outside a tenant (there is nowhere to keep it). Runs after every other plugin's checks
 * (`responseForOperation`), so a request refused for its cost or its rate takes no key.
 *
 * A keyed mutation is executed here, never stored after the fact by a process that may die first
 * (docs/operations-runtime.md): in one transaction with its stored response, in the tenant's placement
 * or in the shared database, as its root fields declare (ModuleDefinition.mutations); or, for
 * mutations with effects outside any transaction, with those effects named from the key, so that an
 * execution repeated after a crash finds them. Root fields of different ways are refused.
 */
export function idempotencyPlugin(options: IdempotencyOptions): ApolloServerPlugin<RequestContext> {
  const { mutations, contextIn, formatError, ...keyOptions } = options;
  let schema: GraphQLSchema | undefined;
  return {
    async serverWillStart(server) {
      schema = server.schema;
    },
    async requestDidStart({ request, contextValue }) {
      const key = request.http?.headers.get('idempotency-key');
      if (key === undefined) return undefined;
      let replayed = false;
      return {
        async responseForOperation({ operation, operationName, queryHash, document, request: { variables } }) {
          const db = contextValue.db;
          if (operation.operation !== 'mutation' || db === null || schema === undefined) return null;
          if (!VALID_KEY.test(key)) {
            return errorResponse(
              new AppError(ErrorCode.BAD_USER_INPUT, 'Idempotency-Key must be 1 to 255 printable ASCII characters'),
            );
          }
          const way = retryOf(operation, document, mutations);
          if ('refused' in way) return errorResponse(new AppError(ErrorCode.BAD_USER_INPUT, way.refused));
          const fingerprint = createHash('sha256')
            .update(canonicalJson({ queryHash, operationName: operationName ?? null, variables: variables ?? {} }))
            .digest('base64url');
          const scope: KeyScope = { credential: principalKey(contextValue.principal), key, fingerprint };
          const answer = (decision: Exclude<KeyDecision, { kind: 'execute' }>): GraphQLResponse => {
            if (decision.kind === 'conflict') {
              return errorResponse(
                new AppError(ErrorCode.BAD_USER_INPUT, 'Idempotency-Key was already used with a different request'),
              );
            }
            replayed = true;
            return replay(decision.response);
          };
          const execution = (context: RequestContext, store: KeptExecution['store']): KeptExecution => ({
            schema: schema as GraphQLSchema,
            document,
            operationName: operationName ?? undefined,
            variables,
            context,
            formatError,
            store,
          });
          try {
            if (way.retry === 'keyedEffects') {
              const decision = await claimKey(db, scope, keyOptions);
              if (decision.kind !== 'execute') return answer(decision);
              const owned = decision.owned;
              try {
                const context = contextIn(contextValue, { newJobId: owned.derivedIds() });
                return await executeKept(execution(context, (stored) => owned.complete(stored)));
              } catch (error) {
                // What ran stays named by the claim: the retry takes it over and finds it.
                await owned.lapse();
                if (error instanceof NotKept) return error.response;
                if (error instanceof NotExecuted) return null;
                throw error;
              }
            }
            const transaction = TRANSACTIONS[way.retry];
            for (;;) {
              const held: { claim: OwnedKey | null } = { claim: null };
              try {
                const response = await transaction.run(db, async (tx, platform) => {
                  // Claimed once, with the session's id (known before the transaction starts): the
                  // driver runs a retried transaction in the same session.
                  if (held.claim === null) {
                    const decision = await claimKey(db, scope, keyOptions, tx.sessionId, transaction.keys);
                    if (decision.kind !== 'execute') throw new Decided(decision);
                    held.claim = decision.owned;
                  }
                  const claim = held.claim;
                  const context = contextIn(contextValue, { db: tx, ...(platform && { platform }) });
                  return executeKept(execution(context, (stored) => claim.completeIn(tx, stored)));
                });
                held.claim?.settled();
                return response;
              } catch (error) {
                if (error instanceof Decided) return answer(error.decision);
                // Nothing of the transaction committed (or, with a commit whose outcome stayed unknown,
                // the response did with it: release() then finds no pending claim of its own to free).
                await held.claim?.release();
                if (error instanceof ClaimLostError) continue;
                if (error instanceof NotKept) return error.response;
                // Its variables were refused before anything ran: Apollo executes it to say so.
                if (error instanceof NotExecuted) return null;
                throw error;
              }
            }
          } catch (error) {
            contextValue.logger.warn({ err: error }, 'idempotent mutation failed');
            return errorResponse(toClientError(error));
          }
        },
        async willSendResponse({ response }) {
          if (replayed) response.http.headers.set('idempotent-replayed', 'true');
        },
      };
    },
  };
}

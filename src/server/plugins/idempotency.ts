import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { principalKey } from '../../auth/principal.js';
import type { RequestContext } from '../../context.js';
import { AppError, ErrorCode, httpStatusOf, toClientError } from '../../errors.js';
import { claimKey, type KeyStoreOptions, type OwnedKey } from '../../modules/idempotency/key-store.js';

/** The contract's key: 1 to 255 printable characters (ASCII: header values carry no other reliably). */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/** Responses that say nothing was done, or that what was done is unknown: not kept, a retry executes. */
const NOT_KEPT: ReadonlySet<unknown> = new Set([ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.RATE_LIMITED]);

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

/**
 * Idempotency keys (contract section 11). A mutation with an `Idempotency-Key` header executes once per
 * key, credential and tenant within 24 hours: a later request with the same key gets the stored
 * response with `Idempotent-Replayed: true`, one with a different body BAD_USER_INPUT, and a concurrent
 * one waits for the first. The key is ignored on queries and subscriptions (reading is safe to retry)
 * and outside a tenant (there is nowhere to keep it). Runs after every other plugin's checks
 * (`responseForOperation`), so a request refused for its cost or its rate takes no key.
 */
export function idempotencyPlugin(options: KeyStoreOptions = {}): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      const key = request.http?.headers.get('idempotency-key');
      if (key === undefined) return undefined;
      let owned: OwnedKey | null = null;
      let replayed = false;
      return {
        async responseForOperation({ operation, operationName, queryHash, request: { variables } }) {
          if (operation.operation !== 'mutation' || contextValue.db === null) return null;
          if (!VALID_KEY.test(key)) {
            return errorResponse(
              new AppError(ErrorCode.BAD_USER_INPUT, 'Idempotency-Key must be 1 to 255 printable ASCII characters'),
            );
          }
          const fingerprint = createHash('sha256')
            .update(canonicalJson({ queryHash, operationName: operationName ?? null, variables: variables ?? {} }))
            .digest('base64url');
          try {
            const decision = await claimKey(
              contextValue.db,
              { credential: principalKey(contextValue.principal), key, fingerprint },
              options,
            );
            if (decision.kind === 'conflict') {
              return errorResponse(
                new AppError(ErrorCode.BAD_USER_INPUT, 'Idempotency-Key was already used with a different request'),
              );
            }
            if (decision.kind === 'replay') {
              replayed = true;
              const { status, body } = decision.response;
              return {
                http: { status, headers: new HeaderMap() },
                body: { kind: 'single', singleResult: JSON.parse(body) },
              };
            }
            owned = decision.owned;
            return null;
          } catch (error) {
            contextValue.logger.warn({ err: error }, 'idempotency key could not be claimed');
            return errorResponse(toClientError(error));
          }
        },
        async willSendResponse({ response }) {
          if (replayed) response.http.headers.set('idempotent-replayed', 'true');
          if (owned === null) return;
          const codes = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const kept = response.body.kind === 'single' && !codes.some((error) => NOT_KEPT.has(error.extensions?.code));
          try {
            if (kept && response.body.kind === 'single') {
              await owned.complete({
                status: response.http.status ?? 200,
                body: JSON.stringify(response.body.singleResult),
              });
            } else {
              await owned.release();
            }
          } catch (error) {
            contextValue.logger.warn({ err: error }, 'idempotency key not stored; a retry will execute');
          }
        },
      };
    },
  };
}

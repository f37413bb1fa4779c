import { createClient, type Client, type ClientOptions, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

/** The GraphQL WebSocket endpoint of a server listening on `httpUrl`. */
export const wsUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/graphql`;

export interface WsClose {
  code: number;
  reason: string;
  /** Date.now() when the client saw the close. */
  at: number;
}

/**
 * A graphql-ws client over `ws` that never retries, so a refused connection ends the operation, and
 * that records every close it sees. Lazy unless `options.lazy` says otherwise.
 */
export function wsClient(url: string, options: Partial<ClientOptions> = {}): { client: Client; closes: WsClose[] } {
  const closes: WsClose[] = [];
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    shouldRetry: () => false,
    lazy: true,
    ...options,
    on: {
      ...options.on,
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: unknown };
        closes.push({ code, reason: String(reason), at: Date.now() });
        options.on?.closed?.(event);
      },
    },
  });
  return { client, closes };
}

/**
 * A WebSocket class for `wsClient`'s `webSocketImpl` whose connections come from `localAddress` (any
 * 127.x.y.z for a loopback server) and whose upgrade request carries `headers`: what a client behind a
 * proxy, or a proxy itself, sends.
 */
export const webSocketFrom = (localAddress: string, headers: Record<string, string> = {}) =>
  class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { localAddress, headers });
    }
  };

export type GraphQLPayload = { query: string; variables?: Record<string, unknown>; operationName?: string };

export interface WsOutcome {
  result?: FormattedExecutionResult<Record<string, unknown>, unknown>;
  /** What the client's sink got as an error: a list of GraphQL errors or a close event. */
  error?: unknown;
}

/** Runs one operation to its end: the first result (then unsubscribes) or the error. */
export function runOnce(client: Client, payload: GraphQLPayload): Promise<WsOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: WsOutcome) => {
      if (settled) return false;
      settled = true;
      resolve(outcome);
      return true;
    };
    const unsubscribe = client.subscribe<Record<string, unknown>>(payload, {
      next: (result) => {
        if (settle({ result })) unsubscribe();
      },
      error: (error) => settle({ error }),
      complete: () => settle({}),
    });
  });
}

/** The close code of a close event a graphql-ws sink received, or undefined when it was something else. */
export const closeCode = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number'
    ? error.code
    : undefined;

/** The `extensions.code`s of the GraphQL errors a graphql-ws sink received (an array of errors). */
export const wsErrorCodes = (error: unknown): unknown[] =>
  Array.isArray(error) ? error.map((entry: { extensions?: { code?: unknown } }) => entry.extensions?.code) : [];

export interface WsError {
  message: string;
  extensions?: { code?: string } & Record<string, unknown>;
}

/** What one long-running operation delivered, as it arrives. */
export interface Collected<T> {
  /** The values picked from each result's data, in order. */
  values: T[];
  /** GraphQL errors received (in results or as the sink's error). */
  errors: WsError[];
  /** Close events and anything else the sink's `error` got that is not a list of GraphQL errors. */
  failures: unknown[];
  /** True once the operation completed or failed. */
  readonly done: boolean;
  /** Resolves when the operation ended (completed or errored); never rejects. */
  ended: Promise<void>;
  /** Resolves with the first `count` values once they arrived; fails when it ends first or after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  /** Unsubscribes (the client stays open). */
  stop(): void;
}

/** Subscribes with `client` and collects what `pick` takes from each result's data. */
export function collect<T>(
  client: Client,
  payload: GraphQLPayload,
  pick: (data: Record<string, unknown>) => T | undefined,
): Collected<T> {
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  let finish!: () => void;
  const ended = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let done = false;
  const end = () => {
    done = true;
    finish();
    notify();
  };
  const collected: Collected<T> = {
    values: [],
    errors: [],
    failures: [],
    get done() {
      return done;
    },
    ended,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (collected.values.length < count) {
        const progress = `${collected.values.length} of ${count}`;
        if (done) throw new Error(`ended after ${progress}: ${JSON.stringify([collected.errors, collected.failures])}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out with ${progress}`);
        await new Promise<void>((resolve) => {
          const waiter = () => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          };
          const timer = setTimeout(waiter, left);
          waiters.add(waiter);
        });
      }
      return collected.values.slice(0, count);
    },
    stop: () => unsubscribe(),
  };
  const unsubscribe = client.subscribe<Record<string, unknown>>(payload, {
    next: (result) => {
      if (result.errors) collected.errors.push(...(result.errors as WsError[]));
      const value = result.data ? pick(result.data) : undefined;
      if (value !== undefined) collected.values.push(value);
      notify();
    },
    error: (error) => {
      if (Array.isArray(error)) collected.errors.push(...(error as WsError[]));
      else collected.failures.push(error);
      end();
    },
    complete: end,
  });
  return collected;
}

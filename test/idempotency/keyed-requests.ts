import type { TestServer } from '../support/server.js';

/** A response to a request sent with (or without) an Idempotency-Key, as the client sees it. */
export interface KeyedAnswer<TData = Record<string, unknown>> {
  status: number;
  replayed: string | null;
  body: {
    data?: TData | null;
    errors?: Array<{ message: string; extensions: { code: string } }>;
    extensions?: { cost?: unknown };
  };
}

/** POSTs a GraphQL request to `instance` with `auth` (a token or an API key) and the key, if any. */
export async function keyedPost<TData = Record<string, unknown>>(
  instance: TestServer,
  auth: string,
  key: string | null,
  payload: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<KeyedAnswer<TData>> {
  const response = await fetch(`${instance.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${auth}`,
      ...(key === null ? {} : { 'idempotency-key': key }),
      ...headers,
    },
    body: JSON.stringify(payload),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    body: (await response.json()) as KeyedAnswer<TData>['body'],
  };
}

export const errorCodes = (answer: KeyedAnswer<unknown>) =>
  (answer.body.errors ?? []).map((error) => error.extensions.code);

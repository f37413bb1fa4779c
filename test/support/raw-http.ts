import { request } from 'node:http';

export interface RawAnswer {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown> }>;
  };
}

/**
 * POSTs a GraphQL request over node:http, which sends what fetch will not: a header array as repeated
 * header lines, and a `Host` of the caller's choosing.
 */
export function rawPost(
  baseUrl: string,
  headers: Record<string, string | string[]>,
  query: string,
  variables?: Record<string, unknown>,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ query, variables }));
  });
}

export const rawCodes = (answer: RawAnswer) => (answer.body.errors ?? []).map((error) => error.extensions?.code);

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
 * header lines, a `Host` of the caller's choosing, and (`options.localAddress`, any 127.x.y.z for a
 * loopback server) the address the connection comes from.
 */
export function rawPost(
  baseUrl: string,
  headers: Record<string, string | string[]>,
  query: string,
  variables?: Record<string, unknown>,
  options: { localAddress?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      localAddress: options.localAddress,
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

import { type Agent, request } from 'node:http';

/**
 * One POST of a closed-loop load client (latency-client.ts, alternating-client.ts): sends `body` with
 * its length and resolves with the answer's status once the answer is read to its end.
 */
export const postOnce = (url: string, agent: Agent, headers: Record<string, string>, body: Buffer): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        res.on('data', () => {});
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AppError, ErrorCode, httpStatusOf } from '../errors.js';

/**
 * What a graceful shutdown does to HTTP traffic before the server stops listening (the contract,
 * section 11): a request accepted before it is answered as usual but with `Connection: close`, and a
 * request that arrives after it (on a keep-alive connection already open, or pipelined behind one in
 * flight) is answered 503 without executing. Node would otherwise run such a request, then drop its
 * response with the connection: a write done, and the client unable to know.
 */
export interface Drain {
  /** The application's request listener behind the drain's guard. */
  guard(listener: RequestListener): RequestListener;
  /** From now on, every response says `Connection: close` and no new request executes. */
  start(): void;
}

const SHUTTING_DOWN = new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The server is shutting down: retry the request');

export function createDrain(): Drain {
  let draining = false;
  const open = new Set<ServerResponse>();
  return {
    guard: (listener) => (req: IncomingMessage, res: ServerResponse) => {
      if (draining) {
        res.writeHead(httpStatusOf(SHUTTING_DOWN.code), {
          'content-type': 'application/json; charset=utf-8',
          connection: 'close',
          'retry-after': '1',
        });
        res.end(
          JSON.stringify({ errors: [{ message: SHUTTING_DOWN.message, extensions: { code: SHUTTING_DOWN.code } }] }),
        );
        req.resume();
        return;
      }
      open.add(res);
      res.once('close', () => open.delete(res));
      listener(req, res);
    },
    start() {
      draining = true;
      for (const res of open) {
        if (res.headersSent) continue;
        res.setHeader('connection', 'close');
      }
    },
  };
}

import type { RequestHandler, Response } from 'express';
import { ErrorCode, httpStatusOf } from '../errors.js';
import { rateLimitedAnswer } from '../limits/limit-errors.js';
import type { Limits } from '../limits/limits.js';
import { callerKey } from '../limits/limits.js';
import { rateLimitHeaders } from '../limits/rate-limit-headers.js';
import { httpHeaderLookup } from './http-headers.js';

/** Where a request's caller key is kept for the rest of its handling (`res.locals`). */
const CALLER_KEY = 'callerKey';

/**
 * The caller key (`callerKey`) of a request that early refusal let through: worked out once per
 * request, as it reads and joins the credential headers.
 */
export const callerKeyOf = (res: Response): string => res.locals[CALLER_KEY] as string;

/** The longest an early 429 is held back. */
const MAX_HOLD_MS = 250;

/**
 * Answers 429 before the body is read, the credentials verified again or the document parsed, to a
 * caller verified in the last seconds whose tenant's bucket cannot hold what its last refused
 * operation cost (Limits.refuseEarly). The answer is held back until the bucket would hold it (at
 * most a quarter of a second, so that a slowly refilling bucket is still empty when the next request
 * comes), and at a random moment after that: a client that sends its next request as soon as it
 * is answered, as a flood does, then sends about as many as its plan admits instead of as many as the
 * server can refuse, and the other tenants keep the CPU. Everyone else goes on to GraphQL, where every limit is decided in full.
 */
export function refuseEmptyBuckets(limits: Limits): RequestHandler {
  return (req, res, next) => {
    const key = callerKey(httpHeaderLookup(req));
    const refused = limits.refuseEarly(key);
    if (!refused) {
      res.locals[CALLER_KEY] = key;
      next();
      return;
    }
    const { tenantId, status, waitSeconds } = refused;
    const answer = () => {
      const { retryAfter, message } = rateLimitedAnswer('cost', waitSeconds);
      const { remaining, restoreRate, maximum } = status;
      const body = JSON.stringify({
        errors: [{ message, extensions: { code: ErrorCode.RATE_LIMITED, retryAfter } }],
        extensions: { cost: { requested: 0, actual: 0, remaining, restoreRate, maximum } },
      });
      // Written as it is, without Express's send (an ETag hashed from the body, freshness checks):
      // this answer is the one a flood gets hundreds of times a second.
      res.writeHead(
        httpStatusOf(ErrorCode.RATE_LIMITED),
        Object.fromEntries([
          ...rateLimitHeaders(tenantId, status),
          ['retry-after', String(retryAfter)],
          ['content-type', 'application/json; charset=utf-8'],
          ['content-length', String(Buffer.byteLength(body))],
        ]),
      );
      res.end(body);
    };
    // Spread over the rest of the window: a flood's connections held together would come back
    // together, and all but one would go through the whole pipeline to be refused there.
    const waitMs = Math.min(MAX_HOLD_MS, waitSeconds * 1000);
    const held = setTimeout(answer, waitMs + Math.random() * (MAX_HOLD_MS - waitMs));
    res.once('close', () => clearTimeout(held));
  };
}

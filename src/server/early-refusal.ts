import type { RequestHandler } from 'express';
import { httpStatusOf } from '../errors.js';
import type { Limits } from '../limits/limits.js';
import { callerKey } from '../limits/limits.js';
import { rateLimitHeaders } from '../limits/rate-limit-headers.js';
import { httpHeaderLookup } from './http-headers.js';

/**
 * Answers 429 at once, before the body is read, the credentials verified again or the document
 * parsed, to a caller verified in the last seconds whose tenant's bucket is empty
 * (Limits.refuseEarly): a flooding tenant's refused requests then cost the server little, which is
 * what keeps the other tenants' latency. Everyone else goes on to GraphQL, where every limit is
 * decided in full.
 */
export function refuseEmptyBuckets(limits: Limits): RequestHandler {
  return (req, res, next) => {
    const refused = limits.refuseEarly(callerKey(httpHeaderLookup(req)));
    if (!refused) {
      next();
      return;
    }
    const { error, tenantId, status } = refused;
    for (const [name, value] of rateLimitHeaders(tenantId, status)) res.set(name, value);
    const { retryAfter } = error.extensions;
    const { remaining, restoreRate, maximum } = status;
    res
      .status(httpStatusOf(error.code))
      .set('retry-after', String(retryAfter))
      .json({
        errors: [{ message: error.message, extensions: { code: error.code, retryAfter } }],
        extensions: { cost: { requested: 0, actual: 0, remaining, restoreRate, maximum } },
      });
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ErrorCode } from '../errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * With GATEWAY_SECRET set, a request must carry it in `Router-Authorization` (Apollo's recommendation
 * for router-to-subgraph trust) or it is refused before any parsing. Defense in depth only: the
 * caller's own credentials are verified either way.
 */
export function requireGatewaySecret(secret: string): RequestHandler {
  const expected = digest(secret);
  return (req, res, next) => {
    const presented = req.get('router-authorization');
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) {
      next();
      return;
    }
    res.status(401).json({
      errors: [{ message: 'Requests must come through the gateway', extensions: { code: ErrorCode.UNAUTHENTICATED } }],
    });
  };
}

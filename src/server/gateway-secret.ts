import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ErrorCode, httpStatusOf } from '../errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compared as digests, in constant time, so neither the length nor a prefix of the secret leaks. */
export function gatewaySecretMatches(secret: string, presented: string | string[] | undefined): boolean {
  return typeof presented === 'string' && timingSafeEqual(digest(presented), digest(secret));
}

/**
 * With GATEWAY_SECRET set, a request must carry it in `Router-Authorization` (Apollo's recommendation
 * for router-to-subgraph trust) or it is refused before any parsing. Defense in depth only: the
 * caller's own credentials are verified either way. The one thing the secret answers on its own is
 * `{ _service { sdl } }`, which gateways fetch without a user (./gateway-introspection.ts).
 */
export function requireGatewaySecret(secret: string): RequestHandler {
  return (req, res, next) => {
    if (gatewaySecretMatches(secret, req.get('router-authorization'))) {
      next();
      return;
    }
    res.status(httpStatusOf(ErrorCode.UNAUTHENTICATED)).json({
      errors: [{ message: 'Requests must come through the gateway', extensions: { code: ErrorCode.UNAUTHENTICATED } }],
    });
  };
}

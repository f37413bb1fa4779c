import { AppError, ErrorCode, withHttpStatus } from '../errors.js';

/** Why an operation was not admitted. */
export type Refusal = 'cost' | 'inFlight' | 'subscriptions' | 'authentication';

const MESSAGES: Readonly<Record<Refusal, string>> = {
  cost: "The tenant's rate limit is exhausted",
  inFlight: 'The tenant has too many operations in flight',
  subscriptions: 'Subscription limit reached',
  authentication: 'Too many failed authentication attempts from this address',
};

/** The whole seconds of `Retry-After` (at least one) and the message of a RATE_LIMITED. */
export function rateLimitedAnswer(
  refusal: Refusal,
  retryAfterSeconds: number,
): { retryAfter: number; message: string } {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return { retryAfter, message: `${MESSAGES[refusal]}: retry after ${retryAfter} s` };
}

/**
 * RATE_LIMITED: nothing was executed. Over HTTP it is answered with 429 and `Retry-After`;
 * `retryAfter` (seconds) is in the error's extensions for WebSocket clients too.
 */
export function rateLimited(refusal: Refusal, retryAfterSeconds: number, cost?: number): AppError {
  const { retryAfter, message } = rateLimitedAnswer(refusal, retryAfterSeconds);
  const error = new AppError(ErrorCode.RATE_LIMITED, message, {
    retryAfter,
    ...(cost === undefined ? {} : { cost }),
  });
  // The status and header are read by Apollo; the error formatter removes them from what the client sees.
  return withHttpStatus(error, { 'retry-after': String(retryAfter) });
}

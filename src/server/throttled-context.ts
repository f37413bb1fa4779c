import type { HeaderLookup } from '../auth/credentials.js';
import type { RequestContext } from '../context.js';
import { ErrorCode, isAppError } from '../errors.js';
import { rateLimited } from '../limits/limit-errors.js';
import { callerKey } from '../limits/limits.js';
import type { Services } from '../services.js';
import { buildRequestContext } from './request-context.js';

/**
 * buildRequestContext behind the throttle of failed authentications of the client's address
 * (src/limits/auth-throttle.ts): an address over its burst of failures gets RATE_LIMITED before its
 * credentials are read, and every UNAUTHENTICATED answer counts as a failure of the address. A
 * verified caller is remembered under `key` (its `callerKey`, worked out from `header` when not given)
 * for early refusal.
 */
export async function throttledRequestContext(
  services: Services,
  header: HeaderLookup,
  address: string | undefined,
  key = callerKey(header),
): Promise<RequestContext> {
  const client = address ?? 'unknown';
  const { authFailures } = services.limits;
  const wait = authFailures.wait(client);
  if (wait > 0) throw rateLimited('authentication', wait);
  try {
    const context = await buildRequestContext(services, header);
    services.limits.remember(key, context);
    return context;
  } catch (error) {
    if (isAppError(error) && error.code === ErrorCode.UNAUTHENTICATED) authFailures.failed(client);
    throw error;
  }
}

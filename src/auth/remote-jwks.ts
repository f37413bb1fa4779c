import { createRemoteJWKSet, errors } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';

/** A token with an unknown `kid` makes the key set be fetched again at most this often. */
export const JWKS_COOLDOWN_MS = 30_000;

/** Why the identity provider's keys could not be used, for the operator reading the logs. */
function keysProblem(error: unknown): string | null {
  if (error instanceof errors.JWKSTimeout) return 'JWKS request timed out';
  if (error instanceof errors.JWKSInvalid) return 'JWKS response is not a JSON Web Key Set';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return null;
  if (error instanceof errors.JOSEError) return `JWKS unusable: ${error.message}`;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return `JWKS unreachable${typeof cause === 'string' ? ` (${cause})` : ''}`;
}

/**
 * The identity provider's signing keys (oidc mode), fetched on demand and cached. A key set that
 * cannot be fetched is logged (warn) with its URL and why, besides the refusal of the request.
 */
export function createRemoteJwks(jwksUrl: string, logger?: Logger): JWTVerifyGetKey {
  const keys = createRemoteJWKSet(new URL(jwksUrl), {
    // A token with an unknown `kid` triggers a refetch at most once per cooldown, so a flood of
    // forged kids cannot hammer the identity provider (the key is looked up before the signature
    // is checked). A real key rotation is picked up within the cooldown.
    cooldownDuration: JWKS_COOLDOWN_MS,
    cacheMaxAge: 600_000,
    timeoutDuration: 5_000,
  });
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      const problem = keysProblem(error);
      if (problem !== null) logger?.warn({ jwksUrl, err: error }, `identity provider keys unavailable: ${problem}`);
      throw error;
    }
  };
}

import { createRemoteJWKSet } from 'jose';
import type { JWTVerifyGetKey } from 'jose';

/** The identity provider's signing keys (oidc mode), fetched on demand and cached. */
export function createRemoteJwks(jwksUrl: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUrl), {
    // A token with an unknown `kid` triggers a refetch at most once per cooldown, so a flood of
    // forged kids cannot hammer the identity provider (the key is looked up before the signature
    // is checked). A real key rotation is picked up within the cooldown.
    cooldownDuration: 30_000,
    cacheMaxAge: 600_000,
    timeoutDuration: 5_000,
  });
}

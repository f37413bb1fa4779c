import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWSAlgorithm, JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { unauthenticated } from '../errors.js';
import type { AppError } from '../errors.js';

/**
 * Asymmetric algorithms only, so the classic confusion (an HS256 token keyed with the public key) is
 * refused before any key is looked up. jose never accepts `none`.
 */
const ALGORITHMS: JWSAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** jose checks `exp` only when present, unless it is required. */
const REQUIRED_CLAIMS = ['exp', 'iss', 'aud', 'sub'];

const CLOCK_TOLERANCE_SECONDS = 5;

export interface VerifiedToken {
  /** `iss`: the identity provider (always the configured one: others are refused). */
  issuer: string;
  subject: string;
  email?: string;
  /** True only when the token says `email_verified: true`: the provider checked the address. */
  emailVerified: boolean;
  /** The tenant slug the caller prefers: a choice checked against memberships, never a right. */
  tenant?: string;
  expiresAt: Date;
}

export interface JwtVerifier {
  /**
   * Resolves with the token's identity or rejects with an UNAUTHENTICATED AppError whose message is
   * safe to return. The library error is its `cause`, for logs only.
   */
  verify(token: string): Promise<VerifiedToken>;
}

export interface JwtVerifierOptions {
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  /** Every refusal is logged (info) with its reason and the library's finding. */
  logger?: Logger;
}

export function createJwtVerifier({ keys, issuer, audience, logger }: JwtVerifierOptions): JwtVerifier {
  return {
    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer,
          audience,
          algorithms: ALGORITHMS,
          requiredClaims: REQUIRED_CLAIMS,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        }));
      } catch (error) {
        const reason = reasonFor(error);
        logger?.info({ reason, ...failureDetail(error, token) }, `token refused: ${reason}`);
        throw withCause(unauthenticated(reason), error);
      }
      const { iss, sub, exp, email, email_verified: emailVerified, tenant } = payload;
      // jose ensures both are present and exp is a number, but not that sub is a usable string.
      if (typeof iss !== 'string' || typeof sub !== 'string' || sub === '' || typeof exp !== 'number') {
        throw unauthenticated('Token malformed');
      }
      return {
        issuer: iss,
        subject: sub,
        ...(typeof email === 'string' ? { email } : {}),
        emailVerified: emailVerified === true,
        ...(typeof tenant === 'string' ? { tenant } : {}),
        expiresAt: new Date(exp * 1000),
      };
    },
  };
}

function reasonFor(error: unknown): string {
  if (!(error instanceof errors.JOSEError)) return 'Token signing keys unavailable';
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return 'Token expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return claimReason(error as errors.JWTClaimValidationFailed);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'Token algorithm not allowed';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'Token signature invalid';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'Token signing key unknown';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
    case 'ERR_JOSE_GENERIC':
      return 'Token signing keys unavailable';
    default:
      return 'Token malformed';
  }
}

/**
 * What the operator needs to fix a refusal: the library's code and message, the token's `kid`, and
 * for a refused `iss` or `aud` the value the token carries (it passed the signature check).
 */
function failureDetail(error: unknown, token: string): Record<string, unknown> {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    kid = undefined;
  }
  const detail: Record<string, unknown> = {
    kid: typeof kid === 'string' ? kid : null,
    error: error instanceof errors.JOSEError ? error.code : String((error as Error | null)?.name),
    detail: (error as Error | null)?.message ?? String(error),
  };
  if (error instanceof errors.JWTClaimValidationFailed && (error.claim === 'iss' || error.claim === 'aud')) {
    detail.claim = error.claim;
    detail.got = error.payload[error.claim] ?? null;
  }
  return detail;
}

function claimReason({ claim, reason }: errors.JWTClaimValidationFailed): string {
  if (claim === 'nbf') return 'Token not yet valid';
  if (reason === 'missing') return `Token lacks the "${claim}" claim`;
  return `Token "${claim}" claim not accepted`;
}

function withCause(error: AppError, cause: unknown): AppError {
  error.cause = cause;
  return error;
}

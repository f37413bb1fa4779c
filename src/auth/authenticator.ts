import type { Logger } from 'pino';
import { unauthenticated } from '../errors.js';
import type { IdentityDirectory } from '../tenancy/identity-directory.js';
import { grantorOf } from '../tenancy/key-rights.js';
import { parseApiKey, secretMatches } from './api-key-secret.js';
import type { Credential } from './credentials.js';
import type { JwtVerifier } from './jwt-verifier.js';
import type { ApiKeyPrincipal, UserPrincipal } from './principal.js';

export interface Authentication {
  /** Credentials name a user or an API key (an export link is verified by its own route). */
  principal: UserPrincipal | ApiKeyPrincipal;
  /** The tenant slug a user's token prefers (`tenant` claim): a choice checked against memberships. */
  preferredTenantSlug: string | null;
  /** The user's stored active tenant (`switchTenant`); null for API keys. */
  storedTenantId: string | null;
}

/** How often a key's `lastUsedAt` is written at most: a busy integration must not cost a write per call. */
const LAST_USE_RESOLUTION_MS = 60_000;

/** Credentials → a verified principal, or UNAUTHENTICATED. The same for HTTP and WebSocket. */
export class Authenticator {
  readonly #lastUseWritten = new Map<string, number>();

  constructor(
    private readonly jwt: JwtVerifier,
    private readonly identity: IdentityDirectory,
    private readonly recordKeyUse: (key: { keyId: string; tenantId: string }, at: Date) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /**
   * `enroll: false` verifies an already admitted connection again: a token whose user is gone is
   * refused rather than creating the user anew, which only a request of the caller's own may do.
   */
  async authenticate(credential: Credential, { enroll = true }: { enroll?: boolean } = {}): Promise<Authentication> {
    if (credential.kind === 'jwt') return this.#user(credential.token, enroll);
    return { principal: await this.#apiKey(credential.value), preferredTenantSlug: null, storedTenantId: null };
  }

  async #user(token: string, enroll: boolean): Promise<Authentication> {
    const verified = await this.jwt.verify(token);
    const known = await this.identity.userByIdentity(verified.issuer, verified.subject);
    if (!known && !enroll) throw unauthenticated('Unknown user');
    const user = known ?? (await this.identity.enroll(verified));
    const principal: UserPrincipal = {
      kind: 'user',
      userId: user._id,
      subject: user.subject,
      email: user.email,
      expiresAt: verified.expiresAt,
    };
    return { principal, preferredTenantSlug: verified.tenant ?? null, storedTenantId: user.activeTenantId };
  }

  async #apiKey(value: string): Promise<ApiKeyPrincipal> {
    const parsed = parseApiKey(value);
    if (!parsed) throw unauthenticated('Malformed API key');
    const key = await this.identity.apiKeyById(parsed.keyId);
    const now = new Date();
    if (!key || !secretMatches(key.secretHash, parsed.secretHash)) throw unauthenticated('Invalid API key');
    if (key.revokedAt) throw unauthenticated('API key revoked');
    if (key.expiresAt && key.expiresAt <= now) throw unauthenticated('API key expired');
    this.noteUse({ keyId: key._id, tenantId: key.tenantId }, now);
    return {
      kind: 'apiKey',
      keyId: key._id,
      name: key.name,
      tenantId: key.tenantId,
      roles: key.roles,
      grantorId: grantorOf(key),
      expiresAt: key.expiresAt,
      operations: key.operations ?? null,
      limits: key.limits ?? null,
    };
  }

  /** Records that a key was used (at most once a minute), also when its verification was cached. */
  noteUse(key: { keyId: string; tenantId: string }, at: Date): void {
    const last = this.#lastUseWritten.get(key.keyId) ?? 0;
    if (at.getTime() - last < LAST_USE_RESOLUTION_MS) return;
    this.#lastUseWritten.set(key.keyId, at.getTime());
    this.recordKeyUse(key, at).catch((error: unknown) =>
      this.logger.warn({ err: error, keyId: key.keyId }, 'could not record API key use'),
    );
  }
}

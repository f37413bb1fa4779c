import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { TenantScope } from '../tenancy/active-tenant.js';
import type { IdentityNotice } from '../tenancy/identity-directory.js';
import type { Authentication } from './authenticator.js';
import type { Credential } from './credentials.js';

/** What a request's credentials and tenant headers were verified to: who, in which tenant, with which roles. */
export interface VerifiedScope {
  authentication: Authentication;
  scope: TenantScope;
}

interface Entry extends VerifiedScope {
  /** Epoch ms after which the entry is never used: the credential's expiry or the identity TTL. */
  usableUntil: number;
  /** The users whose memberships decide the entry: the token's user, or the key's grantor. */
  userId: string | null;
  keyId: string | null;
  tenantId: string | null;
}

/** At most this many verified credentials are kept (least recently used first out). */
const MAX_ENTRIES = 10_000;

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Verified credentials, so that a caller's next request costs neither a signature check nor the
 * identity look-ups: the scope a credential and its tenant headers were verified to, keyed by the
 * SHA-256 of the whole credential (a token with another signature over the same claims is another
 * key, verified in full) and of the headers that choose the tenant.
 *
 * An entry is never used past the credential's own expiry (a JWT's `exp`, an API key's `expiresAt`)
 * nor past `ttlMs` (the identity caches' TTL, which bounds staleness while the identity change
 * stream is down; 0 turns this cache off). Every identity change that may alter a caller's rights
 * drops the entries it concerns (`forget`, fed by IdentityDirectory.onChange on every instance):
 * a key revoked or changed, a membership or user changed (the key's grantor's too), a tenant
 * suspended, resumed or re-planned. Only successful verifications are kept: a refusal is decided
 * again on every request.
 */
export class VerifiedScopeCache {
  readonly #entries = new LRUCache<string, Entry>({ max: MAX_ENTRIES });
  /** Bumped by every change: a verification that started before one is not kept (it may be stale). */
  #generation = 0;

  constructor(private readonly ttlMs: number) {}

  /** The cache key of a credential presented with these tenant-choosing headers. */
  static keyOf(credential: Credential, tenantHeaders: readonly (string | undefined)[]): string {
    const secret = credential.kind === 'jwt' ? credential.token : credential.value;
    return `${sha256(secret)}:${sha256(JSON.stringify(tenantHeaders))}`;
  }

  /** The cached scope of `key` when still usable, else `verify`'s, kept when nothing changed meanwhile. */
  async resolve(key: string, verify: () => Promise<VerifiedScope>): Promise<{ verified: VerifiedScope; hit: boolean }> {
    const cached = this.#entries.get(key);
    if (cached && cached.usableUntil > Date.now()) return { verified: cached, hit: true };
    const generation = this.#generation;
    const verified = await verify();
    const now = Date.now();
    const usableUntil = Math.min(now + this.ttlMs, expiryOf(verified.authentication));
    if (generation === this.#generation && usableUntil > now) {
      this.#entries.set(key, { ...verified, usableUntil, ...tagsOf(verified) }, { ttl: usableUntil - now });
    }
    return { verified, hit: false };
  }

  /** Drops every entry whose rights `notice` may have changed. */
  forget(notice: IdentityNotice): void {
    this.#generation += 1;
    if (notice.kind === 'everyone') {
      this.#entries.clear();
      return;
    }
    for (const [key, entry] of this.#entries.entries()) {
      if (concerns(notice, entry)) this.#entries.delete(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

function expiryOf({ principal }: Authentication): number {
  if (principal.kind === 'user') return principal.expiresAt.getTime();
  return principal.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
}

function tagsOf({ authentication: { principal }, scope }: VerifiedScope) {
  return {
    userId: principal.kind === 'user' ? principal.userId : principal.grantorId,
    keyId: principal.kind === 'apiKey' ? principal.keyId : null,
    tenantId: scope.tenant?.id ?? (principal.kind === 'apiKey' ? principal.tenantId : null),
  };
}

function concerns(notice: Exclude<IdentityNotice, { kind: 'everyone' }>, entry: Entry): boolean {
  switch (notice.kind) {
    case 'user':
      return entry.userId === notice.userId;
    case 'apiKey':
      return entry.keyId === notice.keyId;
    case 'tenant':
      // A user without an active tenant may have one now (its stored tenant came into being).
      return entry.tenantId === notice.tenantId || entry.tenantId === null;
  }
}

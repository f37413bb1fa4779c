import { LRUCache } from 'lru-cache';
import type { Database } from '../data/database.js';
import type { IdentityChange } from '../data/identity-feed.js';
import type { ApiKeyDocument } from '../auth/api-key-document.js';
import type { VerifiedToken } from '../auth/jwt-verifier.js';
import { IdentityCache } from './identity-cache.js';
import { enrollUser } from './user-enrollment.js';
import type { MembershipDocument, TenantDocument, UserDocument } from './identity-documents.js';

/**
 * Whose rights a committed identity change may have altered: one user, one API key, or anyone (the
 * change could not be attributed, or changes may have been missed). Sent after the caches forgot it.
 */
export type IdentityNotice =
  | { kind: 'user'; userId: string }
  | { kind: 'apiKey'; keyId: string }
  | { kind: 'tenant'; tenantId: string }
  | { kind: 'everyone' };

/** How many membership-id → user and user-id → subject mappings are kept to attribute deletes. */
const ATTRIBUTION_ENTRIES = 100_000;

/**
 * The identity data every request needs (who the caller is, which tenants they belong to, which
 * roles they hold, whether their key is still valid), read from the database through short caches.
 * Every instance applies every committed change at once through `applyChange`, fed by the identity
 * change stream (src/data/identity-feed.ts); writers also call the `forget…` methods so that their
 * own instance does not wait for the stream. The TTL is only the fallback while the stream is down.
 */
export class IdentityDirectory {
  /** Users by subject: usually one, one per issuer when two providers use the same `sub`. */
  readonly #users: IdentityCache<UserDocument[]>;
  readonly #memberships: IdentityCache<MembershipDocument[]>;
  readonly #tenants: IdentityCache<TenantDocument>;
  readonly #apiKeys: IdentityCache<ApiKeyDocument>;
  /** A deleted membership's change names only its id: the user it belonged to, learnt when it was read. */
  readonly #membershipOwners = new LRUCache<string, string>({ max: ATTRIBUTION_ENTRIES });
  /** A deleted user's change names only its id: the subject its cache entry is keyed by. */
  readonly #userSubjects = new LRUCache<string, string>({ max: ATTRIBUTION_ENTRIES });
  readonly #listeners = new Set<(notice: IdentityNotice) => void>();

  constructor(
    private readonly database: Database,
    ttlMs: number,
  ) {
    this.#users = new IdentityCache(ttlMs);
    this.#memberships = new IdentityCache(ttlMs);
    this.#tenants = new IdentityCache(ttlMs);
    this.#apiKeys = new IdentityCache(ttlMs);
  }

  /**
   * The user of a token's `iss` and `sub`: a user is one identity provider's subject, so the same
   * `sub` from two issuers names two users. A user stored without an issuer (the demo users) is
   * known by its subject alone, and answers for any issuer that has no user of that subject.
   */
  async userByIdentity(issuer: string, subject: string): Promise<UserDocument | null> {
    const users = (await this.usersBySubject(subject)) ?? [];
    return users.find((user) => user.issuer === issuer) ?? users.find((user) => user.issuer === undefined) ?? null;
  }

  /** Every user of this subject, whatever their issuer (cached by subject; null for none). */
  usersBySubject(subject: string): Promise<UserDocument[] | null> {
    return this.#users.get(subject, async () => {
      const users = await this.database.platform.collection<UserDocument>('users').find({ subject });
      for (const user of users) this.#userSubjects.set(user._id, user.subject);
      return users.length === 0 ? null : users;
    });
  }

  async membershipsOfUser(userId: string): Promise<MembershipDocument[]> {
    const memberships = await this.#memberships.get(userId, async () => {
      const found = await this.database.platform.collection<MembershipDocument>('memberships').find({ userId });
      for (const membership of found) this.#membershipOwners.set(membership._id, membership.userId);
      return found;
    });
    return memberships ?? [];
  }

  tenantBySlug(slug: string): Promise<TenantDocument | null> {
    return this.#tenants.get(`slug:${slug}`, () =>
      this.database.platform.collection<TenantDocument>('tenants').findOne({ slug }),
    );
  }

  tenantById(id: string): Promise<TenantDocument | null> {
    return this.#tenants.get(`id:${id}`, () =>
      this.database.platform.collection<TenantDocument>('tenants').findById(id),
    );
  }

  apiKeyById(keyId: string): Promise<ApiKeyDocument | null> {
    return this.#apiKeys.get(keyId, () => this.database.platform.apiKeyById<ApiKeyDocument>(keyId));
  }

  /** Creates the user of a verified token seen for the first time (src/tenancy/user-enrollment.ts). */
  async enroll(token: VerifiedToken): Promise<UserDocument> {
    const user = await enrollUser(this.database.platform, token);
    this.#users.forget(token.subject);
    return user;
  }

  /*
   * A writer's own instance forgets at once what it changed, without waiting for the change stream,
   * and tells the listeners as the stream will (the verified-scope cache drops the caller's scope).
   */

  forgetUser(user: { subject: string; userId: string }): void {
    this.#users.forget(user.subject);
    this.#notify({ kind: 'user', userId: user.userId });
  }

  forgetMemberships(userId: string): void {
    this.#memberships.forget(userId);
    this.#notify({ kind: 'user', userId });
  }

  forgetApiKey(keyId: string): void {
    this.#apiKeys.forget(keyId);
    this.#notify({ kind: 'apiKey', keyId });
  }

  /**
   * Applies a change committed by any instance: forgets what it made stale, then tells the
   * listeners whose rights may have changed. A change that cannot be attributed (the delete of a
   * membership or user this instance never read) forgets that whole cache and notifies `everyone`.
   */
  applyChange(change: IdentityChange): void {
    this.#notify(this.#forgetChanged(change));
  }

  /** Calls `listener` after every applied change; returns the function that stops it. */
  onChange(listener: (notice: IdentityNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #forgetChanged(change: IdentityChange): IdentityNotice {
    switch (change.kind) {
      case 'membership': {
        if (change.userId !== null) this.#membershipOwners.set(change.membershipId, change.userId);
        const userId = change.userId ?? this.#membershipOwners.get(change.membershipId);
        if (userId === undefined) {
          this.#memberships.clear();
          return { kind: 'everyone' };
        }
        this.#memberships.forget(userId);
        return { kind: 'user', userId };
      }
      case 'user': {
        const known = this.#userSubjects.get(change.userId);
        if (known !== undefined) this.#users.forget(known);
        if (change.subject !== null) {
          this.#users.forget(change.subject);
          this.#userSubjects.set(change.userId, change.subject);
        } else if (known === undefined) {
          this.#users.clear();
        }
        return { kind: 'user', userId: change.userId };
      }
      case 'apiKey':
        this.#apiKeys.forget(change.keyId);
        return { kind: 'apiKey', keyId: change.keyId };
      case 'tenant':
        // Its slug may have changed (the old one is unknown): tenants are few and seldom change.
        this.#tenants.clear();
        return { kind: 'tenant', tenantId: change.tenantId };
      case 'reset':
        this.#users.clear();
        this.#memberships.clear();
        this.#tenants.clear();
        this.#apiKeys.clear();
        return { kind: 'everyone' };
    }
  }

  #notify(notice: IdentityNotice): void {
    for (const listener of this.#listeners) listener(notice);
  }
}

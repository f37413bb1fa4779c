import type { Database } from '../data/database.js';
import type { ApiKeyDocument } from '../modules/api-keys/api-key-document.js';
import { IdentityCache } from './identity-cache.js';
import type { MembershipDocument, TenantDocument, UserDocument } from './identity-documents.js';

/**
 * The identity data every request needs (who the caller is, which tenants they belong to, which
 * roles they hold, whether their key is still valid), read from the database through short caches.
 * Writers call the `forget…` methods so that this instance applies a change at once; other instances
 * apply it within the cache TTL.
 */
export class IdentityDirectory {
  readonly #users: IdentityCache<UserDocument>;
  readonly #memberships: IdentityCache<MembershipDocument[]>;
  readonly #tenants: IdentityCache<TenantDocument>;
  readonly #apiKeys: IdentityCache<ApiKeyDocument>;

  constructor(
    private readonly database: Database,
    ttlMs: number,
  ) {
    this.#users = new IdentityCache(ttlMs);
    this.#memberships = new IdentityCache(ttlMs);
    this.#tenants = new IdentityCache(ttlMs);
    this.#apiKeys = new IdentityCache(ttlMs);
  }

  userBySubject(subject: string): Promise<UserDocument | null> {
    return this.#users.get(subject, () =>
      this.database.platform.collection<UserDocument>('users').findOne({ subject }),
    );
  }

  async membershipsOfUser(userId: string): Promise<MembershipDocument[]> {
    const memberships = await this.#memberships.get(userId, () =>
      this.database.platform.collection<MembershipDocument>('memberships').find({ userId }),
    );
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

  forgetUser(subject: string): void {
    this.#users.forget(subject);
  }

  forgetMemberships(userId: string): void {
    this.#memberships.forget(userId);
  }

  forgetApiKey(keyId: string): void {
    this.#apiKeys.forget(keyId);
  }
}

import type { Role } from '../authz/roles.js';
import type { KeyLimits } from '../limits/plans.js';
import type { PlatformDb } from '../data/platform-db.js';
import type { TenantDb } from '../data/tenant-db.js';
import type { ApiKeyDocument } from '../auth/api-key-document.js';
import { generateApiKey } from '../auth/api-key-secret.js';
import type { PrincipalRef } from '../auth/principal.js';
import type { IdentityDirectory } from './identity-directory.js';
import type { UserDocument } from './identity-documents.js';
import { grantorOf } from './key-rights.js';

/** A new key as its creator asked for it, validated (src/modules/api-keys/api-key-input.ts). */
export interface NewApiKey {
  name: string;
  roles: Role[];
  expiresAt: Date | null;
  /** Trusted operation names it is limited to; null: no limit. */
  operations: string[] | null;
  /** Rate limits of its own (src/limits); null: its tenant's plan alone. */
  limits: KeyLimits | null;
}

/** Who creates a key: a user or a key, and the member whose current roles will bound the key's. */
export interface KeyCreator {
  ref: PrincipalRef;
  grantorId: string;
}

/** The API keys of one tenant, bound to it by construction: a request context's `apiKeys`. */
export interface TenantApiKeys {
  list(): Promise<ApiKeyDocument[]>;
  /** Stores a new key and returns it with its secret, which exists nowhere else from now on. */
  create(key: NewApiKey, creator: KeyCreator, now: Date): Promise<{ apiKey: ApiKeyDocument; secret: string }>;
  /** Revokes the key (a second revocation keeps the first time); null when the tenant has no such key. */
  revoke(keyId: string): Promise<ApiKeyDocument | null>;
  /** The member whose roles bound the key's (its grantor, src/tenancy/key-rights.ts), or null. */
  grantor(key: ApiKeyDocument): Promise<UserDocument | null>;
}

const keysOf = (db: TenantDb) => db.collection<ApiKeyDocument>('apiKeys');

/**
 * The API keys of the tenant of `db` (their grantors are users: platform data). A revocation is applied to this instance's identity cache at
 * once (the identity change feed tells the other instances).
 */
export function tenantApiKeys(db: TenantDb, platform: PlatformDb, identity: IdentityDirectory): TenantApiKeys {
  const users = platform.collection<UserDocument>('users');
  return {
    list: () => keysOf(db).find({}, { sort: { createdAt: 1 } }),
    async create(key, creator, now) {
      const generated = generateApiKey();
      const apiKey = await keysOf(db).insertOne({
        _id: generated.keyId,
        ...key,
        secretHash: generated.secretHash,
        createdAt: now,
        createdBy: creator.ref,
        grantorId: creator.grantorId,
        revokedAt: null,
        lastUsedAt: null,
      });
      return { apiKey, secret: generated.secret };
    },
    async revoke(keyId) {
      const keys = keysOf(db);
      const revoked =
        (await keys.updateOne({ _id: keyId, revokedAt: null }, { $set: { revokedAt: new Date() } })) ??
        (await keys.findById(keyId));
      if (revoked) identity.forgetApiKey(keyId);
      return revoked;
    },
    async grantor(key) {
      const grantorId = grantorOf(key);
      return grantorId === null ? null : users.findById(grantorId);
    },
  };
}

/** Notes a key's use in its tenant; the authenticator calls it at most once a minute per key. */
export async function recordKeyUse(db: TenantDb, keyId: string, at: Date): Promise<void> {
  await keysOf(db).updateOne({ _id: keyId }, { $set: { lastUsedAt: at } });
}

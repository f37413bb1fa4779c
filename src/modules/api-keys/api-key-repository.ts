import { generateApiKey } from '../../auth/api-key-secret.js';
import type { Database } from '../../data/database.js';
import type { TenantDb } from '../../data/tenant-db.js';
import type { ApiKeyDocument } from './api-key-document.js';
import type { ValidApiKeyInput } from './api-key-input.js';

const keysOf = (db: TenantDb) => db.collection<ApiKeyDocument>('apiKeys');

export const listApiKeys = (db: TenantDb): Promise<ApiKeyDocument[]> => keysOf(db).find({}, { sort: { createdAt: 1 } });

/** Who creates a key: its principal label, and the member whose current roles will bound the key's. */
export interface KeyCreator {
  label: string;
  grantorId: string;
}

/** Stores a new key and returns it with its secret, which exists nowhere else from now on. */
export async function createApiKey(
  db: TenantDb,
  input: ValidApiKeyInput,
  creator: KeyCreator,
  now: Date,
): Promise<{ apiKey: ApiKeyDocument; secret: string }> {
  const generated = generateApiKey();
  const apiKey = await keysOf(db).insertOne({
    _id: generated.keyId,
    ...input,
    secretHash: generated.secretHash,
    createdAt: now,
    createdBy: creator.label,
    grantorId: creator.grantorId,
    revokedAt: null,
    lastUsedAt: null,
  });
  return { apiKey, secret: generated.secret };
}

/** Revokes the key (a second revocation keeps the first time); null when the tenant has no such key. */
export async function revokeApiKey(db: TenantDb, keyId: string): Promise<ApiKeyDocument | null> {
  const keys = keysOf(db);
  return (
    (await keys.updateOne({ _id: keyId, revokedAt: null }, { $set: { revokedAt: new Date() } })) ?? keys.findById(keyId)
  );
}

/** Notes a key's use; the authenticator calls it at most once a minute per key. */
export async function recordKeyUse(
  database: Database,
  key: { keyId: string; tenantId: string },
  at: Date,
): Promise<void> {
  await keysOf(database.forTenant(key.tenantId)).updateOne({ _id: key.keyId }, { $set: { lastUsedAt: at } });
}

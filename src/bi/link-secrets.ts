import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../data/database.js';
import { isDuplicateKeyError } from '../data/errors.js';
import type { TenantDb } from '../data/tenant-db.js';

/*
 * The per-tenant secret that signs every URL which is its own credential: export links and the
 * staging's valet URLs. One secret per tenant (`exportLinkSecrets`), created on first use and read
 * from the database on each check, so rotating it (rotateExportLinkSecret) revokes every such URL of
 * the tenant at once, on every instance. Each kind of URL signs under its own context string, so a
 * signature of one kind never verifies as another.
 */

interface LinkSecretDocument {
  _id: string;
  tenantId: string;
  /** 32 random bytes, base64url. */
  secret: string;
  rotatedAt: Date;
}

const secrets = (db: TenantDb) => db.collection<LinkSecretDocument>('exportLinkSecrets');
const newSecret = () => randomBytes(32).toString('base64url');

const mac = (secret: string, context: string, payload: string) =>
  createHmac('sha256', Buffer.from(secret, 'base64url'))
    .update(context + payload)
    .digest();

export class LinkSecrets {
  constructor(private readonly database: Database) {}

  /** The tenant's secret, created on first use (a concurrent first use finds the other's). */
  async #secret(db: TenantDb): Promise<string> {
    const existing = await secrets(db).findOne({});
    if (existing) return existing.secret;
    try {
      return (await secrets(db).upsertOne({}, { $setOnInsert: { secret: newSecret(), rotatedAt: new Date() } })).secret;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const winner = await secrets(db).findOne({});
      if (!winner) throw error;
      return winner.secret;
    }
  }

  /** The MAC (base64url) of `payload` under the secret of the tenant of `db`, in `context`. */
  async sign(db: TenantDb, context: string, payload: string): Promise<string> {
    return mac(await this.#secret(db), context, payload).toString('base64url');
  }

  /**
   * True when `signature` is the MAC of `payload` in `context` under the current secret of
   * `tenantId`. The tenant comes from unverified claims: it only chooses which secret to check
   * against (like a JWT's `kid`); nothing is read for it before the MAC holds.
   */
  async verify(tenantId: string, context: string, payload: string, signature: string): Promise<boolean> {
    const stored = await secrets(this.database.forTenant(tenantId)).findOne({});
    if (!stored) return false;
    // Compared as the URL's text, not as decoded bytes: decoding ignores the unused low bits of the
    // last character, so a MAC would also verify under three altered spellings of its URL.
    const expected = Buffer.from(mac(stored.secret, context, payload).toString('base64url'));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** A new secret for the tenant of `db`: every URL signed before stops verifying. */
  async rotate(db: TenantDb): Promise<void> {
    await secrets(db).upsertOne({}, { $set: { secret: newSecret(), rotatedAt: new Date() } });
  }
}

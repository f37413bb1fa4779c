import type { Readable } from 'node:stream';
import { isRole, type Role } from '../authz/roles.js';
import { isDuplicateKeyError } from '../data/errors.js';
import type { CollectionCatalog } from '../data/collection-catalog.js';
import type { Database } from '../data/database.js';
import type { PlatformDb } from '../data/platform-db.js';
import { badUserInput, notFound } from '../errors.js';
import type { TenantDocument } from '../tenancy/identity-documents.js';
import { type AuditEntry, AUDIT_PAGE_MAX, AuditLog } from './audit-log.js';
import { inviteMember, type InvitationOutcome } from '../tenancy/invitations.js';
import { isPlanName, type PlanName } from '../limits/plans.js';
import type { UsageDocument } from '../data/limits-store.js';
import { usageRange } from '../limits/usage-query.js';
import { listOperators, setOperator } from './platform-roles.js';
import { type PurgeCount, purgeTenantData } from './tenant-purge.js';
import { describePlacement, type Placement } from '../data/placement.js';
import { type MoveReport, MoveRefused } from '../data/placement-move.js';
import { parsePlacement } from './placement-input.js';
import { newId } from '../data/ids.js';
import type { Staging } from '../staging/staging.js';
import { ARCHIVE_FILE, type ArchiveManifest, stageTenantArchive } from './tenant-export.js';

const exportedCounts = (manifest: ArchiveManifest) =>
  manifest.files.map(({ collection, count }) => ({ collection, count }));

/** A tenant slug: one DNS label, so that it can name the tenant in a host name (TENANT_HOST_PATTERN). */
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const REASON_MAX = 500;
/** The longest an export's download URL may live: a week. */
const EXPORT_TTL_MAX = 7 * 24 * 3600;

const text = (field: string, value: string, max: number): string => {
  const trimmed = value.trim();
  if (trimmed.length < 1 || trimmed.length > max) throw badUserInput(field, `must be 1 to ${max} characters`);
  return trimmed;
};

/**
 * The operator plane's operations, the same for `POST /admin/graphql` and `npm run admin`: each one
 * validates, acts on platform data, and records who did what to which tenant in the audit log.
 * `actor` is the operator's address, or `cli:<os user>` for the command line.
 */
export class OperatorConsole {
  readonly #database: Database;
  readonly #platform: PlatformDb;
  readonly #catalog: CollectionCatalog;
  readonly #audit: AuditLog;
  readonly #afterPurge: (tenantId: string) => Promise<void>;
  readonly #beforeExport: () => Promise<void>;
  readonly #staging: Staging;

  /**
   * `catalog`: every collection the modules declare (src/modules/application.ts), for the purge and
   * the export; `afterPurge`: what this process keeps of a tenant in memory and writes in the
   * background (its rate-limit bucket and usage ledger), forgotten once its documents are deleted;
   * `beforeExport`: writes what this process counted in memory and writes in the background (its usage
   * ledger), so that an export holds everything counted before it started;
   * `staging`: the staging store exports are written into (the server's; the command line builds the same one).
   */
  constructor(
    database: Database,
    catalog: CollectionCatalog,
    options: {
      staging: Staging;
      afterPurge?: (tenantId: string) => Promise<void>;
      beforeExport?: () => Promise<void>;
    },
  ) {
    this.#database = database;
    this.#afterPurge = options.afterPurge ?? (async () => {});
    this.#beforeExport = options.beforeExport ?? (async () => {});
    this.#staging = options.staging;
    this.#platform = database.platform;
    this.#catalog = catalog;
    this.#audit = new AuditLog(database.platform);
  }

  #tenants() {
    return this.#platform.collection<TenantDocument>('tenants');
  }

  listTenants(): Promise<TenantDocument[]> {
    return this.#tenants().find({}, { sort: { slug: 1 } });
  }

  tenant(slug: string): Promise<TenantDocument | null> {
    return this.#tenants().findOne({ slug });
  }

  /**
   * A tenant's usage ledger per hour, from the hour of `from` up to `to` (at most 31 days), oldest first,
   * as its ADMINs and ANALYSTs read it with `Query.usage`. Written in batches by every instance: the
   * last few seconds may be missing.
   */
  async usage(slug: string, from: Date, to: Date): Promise<UsageDocument[]> {
    const range = usageRange(from, to);
    const tenant = await this.#existing(slug);
    return this.#database.limits.usage(tenant._id, range.from, range.to);
  }

  async #existing(slug: string): Promise<TenantDocument> {
    const tenant = await this.tenant(slug);
    if (!tenant) throw notFound('Tenant');
    return tenant;
  }

  async createTenant(actor: string, input: { slug: string; name: string; plan: string }): Promise<TenantDocument> {
    const slug = input.slug.trim().toLowerCase();
    if (!SLUG.test(slug)) throw badUserInput('slug', 'must be 1 to 63 lower-case letters, digits or inner hyphens');
    const name = text('name', input.name, 100);
    const plan = this.#plan(input.plan);
    let tenant: TenantDocument;
    try {
      tenant = await this.#tenants().insertOne({ slug, name, plan, createdAt: new Date() });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw badUserInput('slug', `${slug} is taken`);
      throw error;
    }
    await this.#audit.record({ actor, action: 'createTenant', tenant: slug, details: { name, plan } });
    return tenant;
  }

  async inviteMember(
    actor: string,
    input: { tenant: string; email: string; roles: readonly string[] },
  ): Promise<{ tenant: TenantDocument; email: string; roles: Role[]; outcome: InvitationOutcome }> {
    const tenant = await this.#existing(input.tenant);
    const email = input.email.trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) throw badUserInput('email', 'is not an email address');
    const roles = [...new Set(input.roles)].filter(isRole);
    if (roles.length === 0 || roles.length !== new Set(input.roles).size) {
      throw badUserInput('roles', 'must name at least one tenant role');
    }
    const { outcome } = await inviteMember(this.#platform, { tenantId: tenant._id, email, roles, invitedBy: actor });
    await this.#audit.record({
      actor,
      action: 'inviteMember',
      tenant: tenant.slug,
      details: { email, roles, outcome },
    });
    return { tenant, email, roles, outcome };
  }

  /**
   * Suspends a tenant: every request in it gets TENANT_SUSPENDED, its streams end, its keys and links
   * stop working (src/tenancy/active-tenant.ts); nothing is deleted. Every instance learns it from the
   * identity change stream within a second.
   */
  async suspendTenant(actor: string, slug: string, reason: string): Promise<TenantDocument> {
    const why = text('reason', reason, REASON_MAX);
    await this.#existing(slug);
    const tenant = await this.#tenants().updateOne({ slug }, { $set: { suspendedAt: new Date(), suspendReason: why } });
    await this.#audit.record({ actor, action: 'suspendTenant', tenant: slug, details: { reason: why } });
    return tenant ?? this.#existing(slug);
  }

  async resumeTenant(actor: string, slug: string): Promise<TenantDocument> {
    await this.#existing(slug);
    const tenant = await this.#tenants().updateOne({ slug }, { $unset: { suspendedAt: '', suspendReason: '' } });
    await this.#audit.record({ actor, action: 'resumeTenant', tenant: slug, details: {} });
    return tenant ?? this.#existing(slug);
  }

  async setTenantPlan(actor: string, slug: string, plan: string): Promise<TenantDocument> {
    const chosen = this.#plan(plan);
    const before = await this.#existing(slug);
    const tenant = await this.#tenants().updateOne({ slug }, { $set: { plan: chosen } });
    await this.#audit.record({
      actor,
      action: 'setTenantPlan',
      tenant: slug,
      details: { from: before.plan ?? null, to: chosen },
    });
    return tenant ?? this.#existing(slug);
  }

  /**
   * Deletes every document of a suspended tenant, in every collection, and the tenant itself; refused
   * unless the tenant is suspended and `confirm` repeats its slug. The audit log keeps the record.
   */
  async purgeTenant(
    actor: string,
    slug: string,
    confirm: string,
  ): Promise<{ tenant: string; deleted: PurgeCount[]; total: number }> {
    const tenant = await this.#existing(slug);
    if (confirm !== slug) throw badUserInput('confirm', 'must repeat the tenant slug');
    if (!tenant.suspendedAt) throw badUserInput('slug', 'names a tenant that is not suspended: suspend it first');
    const deleted = (await purgeTenantData(this.#database, this.#catalog, tenant._id, this.#staging.files)).filter(
      (c) => c.deleted > 0,
    );
    await this.#afterPurge(tenant._id);
    await this.#tenants().deleteOne({ _id: tenant._id });
    const total = deleted.reduce((sum, count) => sum + count.deleted, 0);
    await this.#audit.record({ actor, action: 'purgeTenant', tenant: slug, details: { deleted, total } });
    return { tenant: slug, deleted, total };
  }

  /**
   * A complete archive of the tenant's data (src/admin/tenant-export.ts) in the staging store, and a
   * download URL valid for `ttlSeconds` (default: the staging store's VALET_URL_TTL_SECONDS). A
   * suspended tenant can be exported: that is how it is handed its data before a purge.
   */
  async exportTenant(
    actor: string,
    slug: string,
    ttlSeconds?: number | null,
  ): Promise<{ tenant: TenantDocument; url: string; expiresAt: Date; manifest: ArchiveManifest }> {
    const staging = this.#staging;
    const ttl = ttlSeconds ?? staging.options.urlTtlSeconds;
    if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > EXPORT_TTL_MAX) {
      throw badUserInput('ttlSeconds', `must be 1 to ${EXPORT_TTL_MAX}`);
    }
    const { tenant, jobId, manifest } = await this.#stageExport(staging, slug, ttl);
    const expires = Math.floor(Date.now() / 1000) + ttl;
    const token = await staging.valet.sign(this.#database.forTenant(tenant._id), {
      jobId,
      file: ARCHIVE_FILE,
      action: 'download',
      maxBytes: null,
      expiresAt: expires,
    });
    const expiresAt = new Date(expires * 1000);
    // The archive was staged before the link was signed: it is kept until the link expires.
    await staging.files.keep(staging.nameOf(tenant._id, jobId, ARCHIVE_FILE), jobId, expiresAt);
    await this.#audit.record({
      actor,
      action: 'exportTenant',
      tenant: slug,
      details: { files: exportedCounts(manifest), expiresAt: expiresAt.toISOString() },
    });
    return { tenant, url: `${staging.options.publicUrl()}/admin/exports/${token}`, expiresAt, manifest };
  }

  /**
   * The same archive as exportTenant, handed to `deliver` (the command line writes it to a file)
   * instead of a download link: it is built in the staging store and deleted from there once
   * delivered, or when delivering fails.
   */
  async exportTenantTo(
    actor: string,
    slug: string,
    deliver: (archive: Readable) => Promise<void>,
  ): Promise<{ tenant: TenantDocument; manifest: ArchiveManifest }> {
    const staging = this.#staging;
    const { tenant, jobId, manifest } = await this.#stageExport(staging, slug);
    try {
      const archive = await staging.get(tenant._id, jobId, ARCHIVE_FILE);
      if (archive === null) throw new Error('the staged archive disappeared');
      await deliver(archive);
    } finally {
      await staging.delete(tenant._id, jobId, ARCHIVE_FILE);
    }
    await this.#audit.record({
      actor,
      action: 'exportTenant',
      tenant: slug,
      details: { files: exportedCounts(manifest), delivered: 'to the operator' },
    });
    return { tenant, manifest };
  }

  /** Stages the tenant's archive, kept `keepSeconds` (the life of its link; default: a valet URL's). */
  async #stageExport(staging: Staging, slug: string, keepSeconds?: number) {
    const tenant = await this.#existing(slug);
    await this.#beforeExport();
    const jobId = `tenant-export-${newId()}`;
    const manifest = await stageTenantArchive(
      { database: this.#database, catalog: this.#catalog, staging },
      tenant,
      jobId,
      keepSeconds,
    );
    return { tenant, jobId, manifest };
  }

  /** Where the tenant's data is (src/data/placement.ts). */
  placementOf(tenantId: string): Placement {
    return this.#database.placementOf(tenantId);
  }

  /**
   * Moves a tenant's data to another placement while it is served (src/data/placement-move.ts): reads
   * go on, writes wait during the switch, ids, cursors and event positions stay valid. Refused, with
   * nothing changed, for a placement this instance cannot reach or where the tenant is already.
   */
  async moveTenant(
    actor: string,
    slug: string,
    input: { database?: string | null; cluster?: string | null },
  ): Promise<{ tenant: TenantDocument } & MoveReport> {
    const tenant = await this.#existing(slug);
    const to = parsePlacement(input);
    if (!this.#database.knowsCluster(to.cluster)) {
      throw badUserInput(
        'placement.cluster',
        `names no cluster this server knows (MONGODB_URI_${to.cluster} is not set)`,
      );
    }
    let report: MoveReport;
    try {
      report = await this.#database.moveTenant(tenant._id, to);
    } catch (error) {
      if (error instanceof MoveRefused) throw badUserInput('placement', error.message);
      throw error;
    }
    await this.#audit.record({
      actor,
      action: 'moveTenant',
      tenant: slug,
      details: {
        from: describePlacement(report.from),
        to: describePlacement(report.to),
        copied: report.copied,
        pausedMs: report.pausedMs,
      },
    });
    return { tenant, ...report };
  }

  async setOperator(actor: string, email: string, operator: boolean) {
    const user = await setOperator(this.#platform, email, operator);
    await this.#audit.record({
      actor,
      action: operator ? 'grantOperator' : 'revokeOperator',
      tenant: null,
      details: { email: user.email },
    });
    return user;
  }

  listOperators() {
    return listOperators(this.#platform);
  }

  auditLog(query: { tenant?: string | null; first?: number | null }): Promise<AuditEntry[]> {
    const first = query.first ?? 50;
    if (!Number.isSafeInteger(first) || first < 1 || first > AUDIT_PAGE_MAX) {
      throw badUserInput('first', `must be 1 to ${AUDIT_PAGE_MAX}`);
    }
    return this.#audit.list({ tenant: query.tenant ?? null, first });
  }

  #plan(plan: string): PlanName {
    if (!isPlanName(plan)) throw badUserInput('plan', 'must be free, standard or enterprise');
    return plan;
  }
}

import type { PlatformDb } from '../data/platform-db.js';

/**
 * One operator action: who (the operator's address, or `cli:<os user>` for the command line), what,
 * when, and which tenant by its slug. Platform data: a purge of the tenant keeps it (it holds no
 * `tenantId`).
 */
export interface AuditEntry {
  _id: string;
  at: Date;
  actor: string;
  action: string;
  tenant: string | null;
  details: Record<string, unknown>;
}

export const AUDIT_PAGE_MAX = 500;

/** The operators' audit log: append-only, read newest first. */
export class AuditLog {
  constructor(private readonly platform: PlatformDb) {}

  record(entry: Omit<AuditEntry, '_id' | 'at'>, at = new Date()): Promise<AuditEntry> {
    return this.platform.collection<AuditEntry>('operatorAudit').insertOne({ ...entry, at });
  }

  /** Newest first; `tenant` narrows to one slug; at most `first` (1 to AUDIT_PAGE_MAX) entries. */
  list({ tenant, first }: { tenant: string | null; first: number }): Promise<AuditEntry[]> {
    return this.platform
      .collection<AuditEntry>('operatorAudit')
      .find(tenant === null ? {} : { tenant }, { sort: { at: -1, _id: -1 }, limit: first });
  }
}

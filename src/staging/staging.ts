import type { Readable } from 'node:stream';
import type { FileStore } from '../data/file-store.js';
import type { TenantDb } from '../data/tenant-db.js';
import type { StagedFiles, SweepHooks } from './staged-files.js';
import { STAGING_SEGMENT, type ValetClaims, type ValetUrls } from './valet-urls.js';

export interface StagingOptions {
  /** The origin valet URLs are built on: PUBLIC_URL, else the address the server listens on. */
  publicUrl: () => string;
  /** The default size limit of an upload URL (STAGING_MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  /** The default lifetime of a valet URL (VALET_URL_TTL_SECONDS). */
  urlTtlSeconds: number;
}

export interface ValetUrl {
  url: string;
  expiresAt: Date;
}

/**
 * Told when a file arrived through an upload URL (the import jobs start from it). Resolving to `false`
 * says its owner no longer wants it (the job ended while it was uploaded): the file is deleted and the
 * upload refused.
 */
export type UploadListener = (claims: ValetClaims, size: number) => Promise<unknown>;

/** Asked before an upload is stored: `false` refuses it (its job has ended). */
export type UploadCheck = (claims: ValetClaims) => Promise<boolean>;

const checkSegment = (what: string, value: string) => {
  if (!STAGING_SEGMENT.test(value)) throw new Error(`staging ${what} must match ${STAGING_SEGMENT}: ${value}`);
};

/**
 * The staging store: files of one job of one tenant, kept under `<tenantId>/<jobId>/<file>` in the
 * configured FileStore (GridFS by default, S3-compatible by configuration), and the valet URLs that
 * let a client upload or download one of them with no other credential. Every file is written with
 * the date until which it is kept (src/staging/staged-files.ts); `sweep` deletes it after that date.
 */
export class Staging {
  readonly #listeners: UploadListener[] = [];
  readonly #checks: UploadCheck[] = [];

  constructor(
    readonly store: FileStore,
    readonly valet: ValetUrls,
    readonly files: StagedFiles,
    readonly options: StagingOptions,
  ) {}

  /** The store's name of a file; job ids and file names are single safe path segments. */
  nameOf(tenantId: string, jobId: string, file: string): string {
    checkSegment('job id', jobId);
    checkSegment('file name', file);
    return `${tenantId}/${jobId}/${file}`;
  }

  /**
   * Writes the file, kept `keepSeconds` after it is written (default: the lifetime of a valet URL),
   * and for as long as `sweep` is told it is still needed.
   */
  async put(
    tenantId: string,
    jobId: string,
    file: string,
    body: Readable,
    options: { maxBytes?: number; keepSeconds?: number } = {},
  ): Promise<{ size: number }> {
    const name = this.nameOf(tenantId, jobId, file);
    const keepMs = (options.keepSeconds ?? this.options.urlTtlSeconds) * 1000;
    // Recorded first, so that no file is ever in the store without its record.
    await this.files.keep(name, jobId, new Date(Date.now() + keepMs));
    const written = await this.store.put(name, body, { maxBytes: options.maxBytes });
    await this.files.keep(name, jobId, new Date(Date.now() + keepMs));
    return written;
  }

  get(tenantId: string, jobId: string, file: string): Promise<Readable | null> {
    return this.store.get(this.nameOf(tenantId, jobId, file));
  }

  size(tenantId: string, jobId: string, file: string): Promise<number | null> {
    return this.store.size(this.nameOf(tenantId, jobId, file));
  }

  async delete(tenantId: string, jobId: string, file: string): Promise<void> {
    const name = this.nameOf(tenantId, jobId, file);
    await this.store.delete(name);
    await this.files.forget(name);
  }

  /** The file is no longer wanted: the next sweep deletes it, unless it is still needed then. */
  expire(tenantId: string, jobId: string, file: string): Promise<void> {
    return this.files.expire(this.nameOf(tenantId, jobId, file));
  }

  /** Deletes the files kept until `now` or before that are not still needed; resolves to how many. */
  sweep(now: Date, hooks: SweepHooks): Promise<number> {
    return this.files.sweep(now, hooks);
  }

  /**
   * Removes what writes cut off by a crash left in the store (they are under no name, so no record
   * names them), once they started before `startedBefore`; resolves to how many.
   */
  removeUnfinished(startedBefore: Date): Promise<number> {
    return this.store.removeUnfinished(startedBefore);
  }

  /**
   * A single-use URL to `PUT` the file of a job of the tenant of `db`, up to `maxBytes`. The file is
   * recorded as kept until the URL expires, before it exists: if nothing is uploaded by then, the
   * sweep after that tells its owner (`SweepHooks.deleting`). An upload extends the record (`put`).
   */
  async uploadUrl(
    db: TenantDb,
    jobId: string,
    file: string,
    options: { ttlSeconds?: number; maxBytes?: number } = {},
  ): Promise<ValetUrl> {
    const url = await this.#url(
      db,
      jobId,
      file,
      'upload',
      options.ttlSeconds,
      options.maxBytes ?? this.options.maxUploadBytes,
    );
    await this.files.keep(this.nameOf(db.tenantId, jobId, file), jobId, url.expiresAt);
    return url;
  }

  /**
   * A URL to `GET` the file of a job of the tenant of `db` until it expires, which is no later than
   * the file is kept; null once the file's time is over (or it was never staged).
   */
  async downloadUrl(
    db: TenantDb,
    jobId: string,
    file: string,
    options: { ttlSeconds?: number } = {},
  ): Promise<ValetUrl | null> {
    const keptUntil = await this.files.deleteAfter(this.nameOf(db.tenantId, jobId, file));
    if (keptUntil === null) return null;
    return this.#url(db, jobId, file, 'download', options.ttlSeconds, null, keptUntil);
  }

  /**
   * A signed URL. Its expiry (whole seconds in the token) is rounded UP, so a URL lives at least its
   * TTL, but never past `notAfter` (rounded down there): a download URL never outlives its file. Null
   * when `notAfter` leaves it no time at all.
   */
  async #url(
    db: TenantDb,
    jobId: string,
    file: string,
    action: 'upload' | 'download',
    ttlSeconds: number | undefined,
    maxBytes: number | null,
    notAfter: Date,
  ): Promise<ValetUrl | null>;
  async #url(
    db: TenantDb,
    jobId: string,
    file: string,
    action: 'upload' | 'download',
    ttlSeconds: number | undefined,
    maxBytes: number | null,
  ): Promise<ValetUrl>;
  async #url(
    db: TenantDb,
    jobId: string,
    file: string,
    action: 'upload' | 'download',
    ttlSeconds = this.options.urlTtlSeconds,
    maxBytes: number | null,
    notAfter?: Date,
  ): Promise<ValetUrl | null> {
    this.nameOf(db.tenantId, jobId, file);
    const now = Date.now();
    const wanted = Math.ceil((now + ttlSeconds * 1000) / 1000);
    const last = notAfter === undefined ? wanted : Math.floor(notAfter.getTime() / 1000);
    if (last * 1000 <= now) return null;
    const expiresAt = Math.min(wanted, last);
    const token = await this.valet.sign(db, { jobId, file, action, maxBytes, expiresAt });
    return { url: `${this.options.publicUrl()}/staging/${token}`, expiresAt: new Date(expiresAt * 1000) };
  }

  /** Calls `listener` after each upload through a valet URL is stored. */
  onUploaded(listener: UploadListener): void {
    this.#listeners.push(listener);
  }

  /** Asks `check` before each upload through a valet URL is stored. */
  onUploadRequested(check: UploadCheck): void {
    this.#checks.push(check);
  }

  /** False when a check refuses the upload. */
  async uploadWanted(claims: ValetClaims): Promise<boolean> {
    for (const check of this.#checks) if (!(await check(claims))) return false;
    return true;
  }

  /** Tells the listeners of a stored upload; false when one of them no longer wants it. */
  async uploaded(claims: ValetClaims, size: number): Promise<boolean> {
    let wanted = true;
    for (const listener of this.#listeners) if ((await listener(claims, size)) === false) wanted = false;
    return wanted;
  }
}

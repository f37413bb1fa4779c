import type { Readable } from 'node:stream';
import type { FileStore } from '../data/file-store.js';
import type { TenantDb } from '../data/tenant-db.js';
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

/** Told when a file arrived through an upload URL (the import jobs start from it). */
export type UploadListener = (claims: ValetClaims, size: number) => Promise<void>;

const checkSegment = (what: string, value: string) => {
  if (!STAGING_SEGMENT.test(value)) throw new Error(`staging ${what} must match ${STAGING_SEGMENT}: ${value}`);
};

/**
 * The staging store: files of one job of one tenant, kept under `<tenantId>/<jobId>/<file>` in the
 * configured FileStore (GridFS by default, S3-compatible by configuration), and the valet URLs that
 * let a client upload or download one of them with no other credential.
 */
export class Staging {
  readonly #listeners: UploadListener[] = [];

  constructor(
    readonly store: FileStore,
    readonly valet: ValetUrls,
    readonly options: StagingOptions,
  ) {}

  /** The store's name of a file; job ids and file names are single safe path segments. */
  nameOf(tenantId: string, jobId: string, file: string): string {
    checkSegment('job id', jobId);
    checkSegment('file name', file);
    return `${tenantId}/${jobId}/${file}`;
  }

  put(tenantId: string, jobId: string, file: string, body: Readable, options?: { maxBytes?: number }) {
    return this.store.put(this.nameOf(tenantId, jobId, file), body, options);
  }

  get(tenantId: string, jobId: string, file: string): Promise<Readable | null> {
    return this.store.get(this.nameOf(tenantId, jobId, file));
  }

  size(tenantId: string, jobId: string, file: string): Promise<number | null> {
    return this.store.size(this.nameOf(tenantId, jobId, file));
  }

  delete(tenantId: string, jobId: string, file: string): Promise<void> {
    return this.store.delete(this.nameOf(tenantId, jobId, file));
  }

  /** A single-use URL to `PUT` the file of a job of the tenant of `db`, up to `maxBytes`. */
  uploadUrl(db: TenantDb, jobId: string, file: string, options: { ttlSeconds?: number; maxBytes?: number } = {}) {
    return this.#url(db, jobId, file, 'upload', options.ttlSeconds, options.maxBytes ?? this.options.maxUploadBytes);
  }

  /** A URL to `GET` the file of a job of the tenant of `db` until it expires. */
  downloadUrl(db: TenantDb, jobId: string, file: string, options: { ttlSeconds?: number } = {}) {
    return this.#url(db, jobId, file, 'download', options.ttlSeconds, null);
  }

  async #url(
    db: TenantDb,
    jobId: string,
    file: string,
    action: 'upload' | 'download',
    ttlSeconds = this.options.urlTtlSeconds,
    maxBytes: number | null,
  ): Promise<ValetUrl> {
    this.nameOf(db.tenantId, jobId, file);
    const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds;
    const token = await this.valet.sign(db, { jobId, file, action, maxBytes, expiresAt });
    return { url: `${this.options.publicUrl()}/staging/${token}`, expiresAt: new Date(expiresAt * 1000) };
  }

  /** Calls `listener` after each upload through a valet URL is stored. */
  onUploaded(listener: UploadListener): void {
    this.#listeners.push(listener);
  }

  async uploaded(claims: ValetClaims, size: number): Promise<void> {
    for (const listener of this.#listeners) await listener(claims, size);
  }
}

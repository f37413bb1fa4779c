import { isDuplicateKeyError } from '../data/errors.js';
import type { FileStore } from '../data/file-store.js';
import type { PlatformCollection } from '../data/platform-db.js';

/** The platform collection that records when each staged file may be deleted. */
export const STAGED_FILES_COLLECTION = 'stagedFiles';

/**
 * One staged file's record: the store's name of the file, its job, and the moment from which it may
 * be deleted. Written before the file itself, so that a file is never in the store without a record
 * (a write cut off by a crash leaves at most a record of nothing). The tenant is the name's first
 * segment: a record is not tenant data (it is neither archived nor counted as the tenant's), and the
 * tenant's purge deletes the records with the files (`deleteTenant`).
 */
export interface StagedFileDocument {
  _id: string;
  /** The file's name in the store: `<tenantId>/<jobId>/<file>` (unique). */
  name: string;
  jobId: string;
  deleteAfter: Date;
}

/** The tenant of a staged file: the first segment of its name. */
export const tenantOfStagedFile = (file: Pick<StagedFileDocument, 'name'>): string => file.name.split('/', 1)[0]!;

/** What the owner of the files tells a sweep, and is told by it. */
export interface SweepHooks {
  /** Whether a file whose time has come is still needed (its job is still queued): it is then kept. */
  stillNeeded(file: StagedFileDocument): Promise<boolean>;
  /**
   * Told of a file about to be deleted (or of a file never written: an upload that did not come),
   * before it is; a failure keeps the file, and the sweep after the claim runs out tries again.
   */
  deleting(file: StagedFileDocument): Promise<void>;
}

/**
 * How long a sweep's claim on a record lasts, and how long a still-needed file is kept before it is
 * looked at again. An instance that dies mid-sweep leaves its claims to run out.
 */
const RECHECK_MS = 60_000;

/**
 * The records of staged files and the sweep that deletes the files whose time has come. Every
 * instance sweeps; a record is claimed by moving its date forward (a lease, like the job queue's), so
 * two instances never work on the same file, and a claim left by a dead instance runs out.
 */
export class StagedFiles {
  constructor(
    private readonly records: PlatformCollection<StagedFileDocument>,
    private readonly store: FileStore,
  ) {}

  /** Records that `name` is kept at least until `until` (a later date already recorded stays). */
  async keep(name: string, jobId: string, until: Date): Promise<void> {
    const upsert = () => this.records.upsertOne({ name }, { $set: { jobId }, $max: { deleteAfter: until } });
    try {
      await upsert();
    } catch (error) {
      // Two first records of one name at once: the unique index kept one, which this one now updates.
      if (!isDuplicateKeyError(error)) throw error;
      await upsert();
    }
  }

  /** The date from which `name` may be deleted; null when it is not recorded (never staged, or swept). */
  async deleteAfter(name: string): Promise<Date | null> {
    return (await this.records.findOne({ name }))?.deleteAfter ?? null;
  }

  /** Makes `name` deletable at once: the next sweep deletes it unless it is still needed. */
  async expire(name: string): Promise<void> {
    await this.records.updateOne({ name }, { $min: { deleteAfter: new Date() } });
  }

  /** The file was deleted by its owner: its record goes too. */
  async forget(name: string): Promise<void> {
    await this.records.deleteOne({ name });
  }

  /** Deletes every staged file of the tenant and its record (the tenant's purge); resolves to how many files. */
  async deleteTenant(tenantId: string): Promise<number> {
    const prefix = `${tenantId}/`;
    const deleted = await this.store.deleteAll(prefix);
    await this.records.deleteMany({ name: { $regex: `^${prefix}` } });
    return deleted;
  }

  /**
   * Deletes every file whose time has come by `now` and that is not still needed; resolves to how
   * many. A still-needed file is kept and looked at again a minute later.
   */
  async sweep(now: Date, hooks: SweepHooks): Promise<number> {
    let deleted = 0;
    for (;;) {
      const claim = new Date(now.getTime() + RECHECK_MS);
      const record = await this.records.updateOne({ deleteAfter: { $lte: now } }, { $set: { deleteAfter: claim } });
      if (!record) return deleted;
      if (await hooks.stillNeeded(record)) continue;
      await hooks.deleting(record);
      await this.store.delete(record.name);
      // Unless the file was staged again meanwhile (its date moved past the claim): then it stays.
      if (await this.records.deleteOne({ _id: record._id, deleteAfter: claim })) deleted++;
    }
  }
}

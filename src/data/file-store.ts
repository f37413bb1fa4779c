import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, ObjectId, type Db, type GridFSChunk, type GridFSFile } from 'mongodb';

/**
 * A store of named byte streams: what the staging of import and export files needs, and nothing
 * more. The GridFS implementation below is the default; src/staging/ has an S3-compatible one of the
 * same shape. Names are chosen by the caller (src/staging/ puts the tenant first); a name written
 * again replaces the earlier content once the new one is complete.
 */
export interface FileStore {
  /** Writes the stream under `name` and resolves to its size; past `maxBytes` it throws FileTooLargeError and keeps nothing. */
  put(name: string, body: Readable, options?: { maxBytes?: number }): Promise<{ size: number }>;
  /** The content under `name`, or null when there is none. */
  get(name: string): Promise<Readable | null>;
  /** The size in bytes of the content under `name`, or null when there is none. */
  size(name: string): Promise<number | null>;
  /** Removes the content under `name`; nothing happens when there is none. */
  delete(name: string): Promise<void>;
  /** Removes every file whose name begins with `prefix` (e.g. a tenant's `<tenantId>/`); resolves to how many. */
  deleteAll(prefix: string): Promise<number>;
  /**
   * Removes what the writes that started before `startedBefore` and never completed left behind (a
   * crash cut them off): such a write is under no name, so nothing else ever finds it. Resolves to
   * how many writes it removed. A write still under way must have started after `startedBefore`.
   */
  removeUnfinished(startedBefore: Date): Promise<number>;
}

/** A stream longer than the size limit it was written with. */
export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the file is larger than ${maxBytes} bytes`);
    this.name = 'FileTooLargeError';
  }
}

/** Passes the bytes through, counting them, and fails the pipeline once they exceed `maxBytes`. */
export function byteLimit(maxBytes: number): Transform & { readonly bytes: number } {
  let bytes = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(bytes > maxBytes ? new FileTooLargeError(maxBytes) : null, chunk);
    },
  });
  return Object.defineProperty(limiter, 'bytes', { get: () => bytes }) as Transform & { readonly bytes: number };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** 255 KiB, GridFS's own default: a chunk stays far below the 16 MiB document limit. */
const CHUNK_BYTES = 255 * 1024;

/** Files looked up at once when looking for chunks without a file. */
const ID_PAGE = 1000;

/**
 * GridFS (the driver's GridFSBucket), so the staging needs nothing besides the database. A file is
 * visible under its name only once its files document is written, after its last chunk; older
 * revisions of the name are deleted after the new one is complete. A write cut off by a crash leaves
 * chunks whose files document was never written: the driver gives each write an ObjectId when it
 * starts (the chunks' `files_id`), whose time says when it started.
 */
export function gridFsFileStore(db: Db, bucketName: string): FileStore {
  const bucket = new GridFSBucket(db, { bucketName, chunkSizeBytes: CHUNK_BYTES });
  const files = db.collection<GridFSFile>(`${bucketName}.files`);
  const chunks = db.collection<GridFSChunk>(`${bucketName}.chunks`);
  const revisions = (name: string): Promise<GridFSFile[]> =>
    bucket.find({ filename: name }, { sort: { uploadDate: -1, _id: -1 } }).toArray();
  const remove = (file: GridFSFile) => bucket.delete(file._id).catch(() => undefined);
  return {
    async put(name, body, options = {}) {
      const upload = bucket.openUploadStream(name);
      const limit = byteLimit(options.maxBytes ?? Number.POSITIVE_INFINITY);
      try {
        await pipeline(body, limit, upload);
      } catch (error) {
        await upload.abort().catch(() => undefined);
        throw error;
      }
      for (const older of await revisions(name)) if (!upload.id.equals(older._id)) await remove(older);
      return { size: limit.bytes };
    },
    async get(name) {
      const [latest] = await revisions(name);
      return latest ? bucket.openDownloadStream(latest._id) : null;
    },
    async size(name) {
      const [latest] = await revisions(name);
      return latest ? latest.length : null;
    },
    async delete(name) {
      for (const file of await revisions(name)) await remove(file);
    },
    async deleteAll(prefix) {
      const names = new Set<string>();
      // A prefix match on `filename` is a range of GridFS's own { filename, uploadDate } index.
      for await (const file of bucket.find({ filename: { $regex: `^${escapeRegExp(prefix)}` } })) {
        await remove(file);
        names.add(file.filename);
      }
      return names.size;
    },
    async removeUnfinished(startedBefore) {
      // Distinct over GridFS's own { files_id, n } index of the chunks.
      const started = ObjectId.createFromTime(Math.floor(startedBefore.getTime() / 1000));
      const writes = (await chunks.distinct('files_id', { files_id: { $lt: started } })).filter(
        (id): id is ObjectId => id instanceof ObjectId,
      );
      let removed = 0;
      for (let from = 0; from < writes.length; from += ID_PAGE) {
        const page = writes.slice(from, from + ID_PAGE);
        const complete = await files.find({ _id: { $in: page } }, { projection: { _id: 1 } }).toArray();
        const done = new Set(complete.map((file) => file._id.toHexString()));
        const unfinished = page.filter((id) => !done.has(id.toHexString()));
        if (unfinished.length === 0) continue;
        await chunks.deleteMany({ files_id: { $in: unfinished } });
        removed += unfinished.length;
      }
      return removed;
    },
  };
}

import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { byteLimit, type FileStore } from '../data/file-store.js';

export interface S3StoreConfig {
  bucket: string;
  /** An S3-compatible endpoint (MinIO, R2, …); undefined: AWS S3 of `region`. */
  endpoint: string | undefined;
  region: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need. */
  forcePathStyle: boolean;
  /** Undefined: the AWS SDK's default credential chain (environment, profile, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

const isMissing = (error: unknown) =>
  error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound');

/**
 * The staging in an S3-compatible bucket (`@aws-sdk/client-s3`). Uploads stream through
 * `@aws-sdk/lib-storage` as a multipart upload, so a file of unknown length never sits in memory
 * whole; an upload that fails or runs past its limit is aborted and leaves no object. One cut off by
 * a crash stays an incomplete multipart upload until `removeUnfinished` aborts it.
 */
export function s3FileStore(config: S3StoreConfig): FileStore {
  const client = new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  });
  const Bucket = config.bucket;
  return {
    async put(name, body, options = {}) {
      const limit = byteLimit(options.maxBytes ?? Number.POSITIVE_INFINITY);
      const upload = new Upload({ client, params: { Bucket, Key: name, Body: body.pipe(limit) } });
      body.once('error', (error) => limit.destroy(error));
      const failed = new Promise<never>((_resolve, reject) => limit.once('error', reject));
      try {
        await Promise.race([upload.done(), failed]);
      } catch (error) {
        await upload.abort().catch(() => undefined);
        throw error;
      }
      return { size: limit.bytes };
    },
    async get(name) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket, Key: name }));
        return object.Body instanceof Readable ? object.Body : null;
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    async size(name) {
      try {
        return (await client.send(new HeadObjectCommand({ Bucket, Key: name }))).ContentLength ?? 0;
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    async delete(name) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: name }));
    },
    async deleteAll(prefix) {
      let deleted = 0;
      for await (const page of paginateListObjectsV2({ client }, { Bucket, Prefix: prefix })) {
        for (const { Key } of page.Contents ?? []) {
          if (Key === undefined) continue;
          await client.send(new DeleteObjectCommand({ Bucket, Key }));
          deleted++;
        }
      }
      return deleted;
    },
    async removeUnfinished(startedBefore) {
      // A multipart upload never completed nor aborted (its writer died) keeps its parts, billed,
      // under no key until it is aborted. Listed page by page, as S3 pages them (by key, then id).
      let removed = 0;
      let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
      for (;;) {
        const page = await client.send(new ListMultipartUploadsCommand({ Bucket, ...markers }));
        for (const { Key, UploadId, Initiated } of page.Uploads ?? []) {
          if (Key === undefined || UploadId === undefined || !Initiated || Initiated >= startedBefore) continue;
          await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
          removed++;
        }
        if (!page.IsTruncated) return removed;
        markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
      }
    },
  };
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface TestS3 {
  /** The environment that points the staging at this server (STAGING_STORE=s3 …). */
  env: Record<string, string>;
  endpoint: string;
  bucket: string;
  stop(): Promise<void>;
}

/**
 * An S3-compatible server on a loopback port (s3rver, from npm: it runs offline), with one empty
 * bucket, its files in a temporary directory.
 */
export async function startTestS3(bucket = 'staging'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'tenantgraph-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory,
    silent: true,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: {
      STAGING_STORE: 's3',
      STAGING_S3_BUCKET: bucket,
      STAGING_S3_ENDPOINT: endpoint,
      // s3rver's fixed development credentials.
      STAGING_S3_ACCESS_KEY_ID: 'S3RVER',
      STAGING_S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

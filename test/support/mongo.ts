import { randomUUID } from 'node:crypto';
import { startEmbeddedMongo } from '@tenantgraph/embedded-mongo';

export interface TestMongo {
  /** Connection string of the server under test (real MongoDB when MONGODB_URI is set). */
  uri: string;
  /** True when the suite runs against the embedded server. */
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * The database server a test file talks to: the one named by MONGODB_URI when set, so that
 * `MONGODB_URI=… npm test` runs the same assertions against a real replica set, else a fresh
 * embedded server on a loopback port.
 */
export async function startTestMongo(): Promise<TestMongo> {
  const external = process.env.MONGODB_URI;
  if (external) return { uri: external, embedded: false, stop: async () => {} };
  const server = await startEmbeddedMongo({ enableTestCommands: true });
  return { uri: server.uri, embedded: true, stop: server.stop };
}

/** A database name no other test uses, so suites sharing a real server never see each other's data. */
export function uniqueDbName(prefix = 'test'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

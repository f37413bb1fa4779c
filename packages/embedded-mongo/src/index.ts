import { EmbeddedServer } from './server.js';

export interface EmbeddedMongoOptions {
  /** The TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Loopback address to bind: 127.0.0.1 (the default) or localhost, which means the same. */
  host?: string;
  /** The replica set name announced in hello; defaults to rs0. */
  replSetName?: string;
}

export interface EmbeddedMongo {
  /** A connection string the official driver accepts as-is. */
  uri: string;
  /** Closes every connection and the listener; all data is gone. */
  stop(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/**
 * Starts an in-memory, MongoDB-wire-compatible server on a loopback port. It presents itself as the
 * primary of a single-member replica set, so sessions, transactions and change streams work.
 */
export async function startEmbeddedMongo(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const host = options.host ?? '127.0.0.1';
  // The hosts announced in hello must be reachable as given, so everything is bound to and announced as 127.0.0.1.
  if (!LOOPBACK_HOSTS.has(host))
    throw new Error(`The embedded MongoDB server only listens on loopback addresses, not ${host}`);
  const replSetName = options.replSetName ?? 'rs0';
  const server = new EmbeddedServer();
  const port = await server.listen({ host: '127.0.0.1', port: options.port ?? 0, replSetName });
  return {
    uri: `mongodb://127.0.0.1:${port}/?replicaSet=${encodeURIComponent(replSetName)}`,
    stop: () => server.stop(),
  };
}

import type { ChangeHistoryWindow } from './change-streams/change-log.js';
import type { RecoveryReport } from './persistence/store.js';
import { lockHolder } from './persistence/files.js';
import { connectionString, EmbeddedServer } from './server.js';

export type { ChangeHistoryWindow } from './change-streams/change-log.js';
export type { RecoveryReport } from './persistence/store.js';

export interface EmbeddedMongoOptions {
  /** The TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Loopback address to bind: 127.0.0.1 (the default) or localhost, which means the same. */
  host?: string;
  /** The replica set name announced in hello; defaults to rs0. */
  replSetName?: string;
  /**
   * Where the data is kept across restarts (created when missing, one server at a time). Omitted,
   * or ':memory:', keeps everything in memory: stopping the server forgets it.
   */
  dir?: string;
  /** Journal bytes after which a snapshot is taken in the background (default 16 MiB, or the last snapshot's size). */
  snapshotAfterBytes?: number;
  /**
   * Accepts test-only commands, as mongod's `enableTestCommands` does: `configureFailPoint` (the
   * `failCommand` fail point) for injecting faults. Off by default: the command is then unknown.
   */
  enableTestCommands?: boolean;
  /**
   * How far back change streams can resume, like an oplog's size and retention: at most
   * `maxEvents` events (default 100,000), none older than `maxAgeSeconds` (default 24 hours).
   * Resuming from before it fails with ChangeStreamHistoryLost.
   */
  changeHistory?: ChangeHistoryWindow;
}

export interface EmbeddedMongo {
  /** A connection string the official driver accepts as-is. */
  uri: string;
  /** The data directory, or undefined when everything is kept in memory. */
  dir: string | undefined;
  /** What start-up recovered from the data directory (undefined in memory). */
  recovery: RecoveryReport | undefined;
  /**
   * Closes every connection and the listener, and with a data directory syncs the journal and
   * releases the directory; in memory, all data is gone.
   */
  stop(): Promise<void>;
}

/** The value of `dir` that keeps nothing. */
export const IN_MEMORY = ':memory:';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/**
 * Starts a MongoDB-wire-compatible server on a loopback port, in memory or durable in a directory. It presents itself as the
 * primary of a single-member replica set, so sessions, transactions and change streams work.
 */
export async function startEmbeddedMongo(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const host = options.host ?? '127.0.0.1';
  // The hosts announced in hello must be reachable as given, so everything is bound to and announced as 127.0.0.1.
  if (!LOOPBACK_HOSTS.has(host))
    throw new Error(`The embedded MongoDB server only listens on loopback addresses, not ${host}`);
  const replSetName = options.replSetName ?? 'rs0';
  const dir = options.dir === IN_MEMORY ? undefined : options.dir;
  const server = new EmbeddedServer();
  const port = await server.listen({
    host: '127.0.0.1',
    port: options.port ?? 0,
    replSetName,
    dir,
    snapshotAfterBytes: options.snapshotAfterBytes,
    testCommands: options.enableTestCommands ?? false,
    changeHistory: options.changeHistory,
  });
  return {
    uri: connectionString(port, replSetName),
    dir,
    recovery: server.recovery,
    stop: () => server.stop(),
  };
}

/**
 * The URI of the server that holds the data directory now, or undefined when none runs there: how
 * a tool reaches a running embedded database knowing only its directory.
 */
export async function runningServerUri(dir: string): Promise<string | undefined> {
  return (await lockHolder(dir))?.uri;
}

import { MongoClient, type MongoClientOptions } from 'mongodb';
import type { Connection } from './connection.js';
import { CLUSTER_NAME, type Target, targetKey } from './placement.js';

/**
 * The clusters a placement may name: the default one (MONGODB_URI) and those of `MONGODB_URI_<NAME>`,
 * whose URIs live in this process's environment only. A client per cluster, made on first use (the
 * driver connects on its first operation), so that `forTenant` stays synchronous and cheap.
 */
export class Clusters {
  readonly #default: Connection;
  readonly #uris: ReadonlyMap<string, string>;
  readonly #defaultUri: string;
  readonly #options: { requests: MongoClientOptions; streams: MongoClientOptions };
  readonly #clients = new Map<string, MongoClient>();
  readonly #connections = new Map<string, Connection>();

  /** `requests`: the options of the clients of requests; `streams`: those of change streams' own clients. */
  constructor(
    defaultConnection: Connection,
    defaultUri: string,
    uris: ReadonlyMap<string, string>,
    options: { requests: MongoClientOptions; streams: MongoClientOptions },
  ) {
    for (const name of uris.keys()) if (!CLUSTER_NAME.test(name)) throw new Error(`Cluster name ${name} is not plain`);
    this.#default = defaultConnection;
    this.#defaultUri = defaultUri;
    this.#uris = uris;
    this.#options = options;
  }

  /** True when this process knows the cluster (null: the default one). */
  knows(cluster: string | null): boolean {
    return cluster === null || this.#uris.has(cluster);
  }

  /** The URI of a cluster, for the clients of change streams and the sequencer (never stored). */
  uri(cluster: string | null): string {
    if (cluster === null) return this.#defaultUri;
    const uri = this.#uris.get(cluster);
    if (uri === undefined)
      throw new Error(`MONGODB_URI_${cluster} is not set: placement on cluster ${cluster} unusable`);
    return uri;
  }

  /** Where a change stream (or the sequencer) of a target connects its own client. */
  stream(target: Target): { uri: string; dbName: string; clientOptions: MongoClientOptions } {
    return { uri: this.uri(target.cluster), dbName: target.dbName, clientOptions: this.#options.streams };
  }

  /** The client and database of a target. */
  connection(target: Target): Connection {
    const key = targetKey(target);
    const known = this.#connections.get(key);
    if (known) return known;
    const client = target.cluster === null ? this.#default.client : this.#client(target.cluster);
    const connection: Connection = { client, db: client.db(target.dbName) };
    this.#connections.set(key, connection);
    return connection;
  }

  #client(cluster: string): MongoClient {
    const known = this.#clients.get(cluster);
    if (known) return known;
    const client = new MongoClient(this.uri(cluster), this.#options.requests);
    this.#clients.set(cluster, client);
    return client;
  }

  /** Closes the clients of the other clusters (the default one belongs to the Database). */
  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((client) => client.close()));
  }
}

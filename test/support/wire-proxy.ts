import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { deserialize, type Document } from 'bson';

/**
 * A TCP proxy in front of the test MongoDB that reads the wire protocol going through it, so that a
 * test can stop a server process at an exact point of a transaction: when the transaction that wrote
 * to a collection sends its `commitTransaction` (the commit never reaches the database), or when the
 * database's reply to it comes back (the commit happened, the process never learns it). From that
 * moment nothing more passes in either direction, on any connection: the test then kills the process.
 * It speaks to any MongoDB (embedded or a real replica set member: the process connects directly).
 */
export interface WireProxy {
  /** The connection string the process under test uses instead of the database's own. */
  uri: string;
  /**
   * Arms the proxy for the next transaction that writes to `collection`; resolves once its commit is
   * held, at `moment`: 'request' (never sent to the database) or 'reply' (committed, reply withheld).
   */
  holdCommit(collection: string, moment: 'request' | 'reply'): Promise<void>;
  /**
   * Arms the proxy for the next write command to `collection`, in a transaction or not; resolves once
   * it is held, at `moment`: 'request' (never sent to the database) or 'reply' (done, reply withheld).
   */
  holdWrite(collection: string, moment: 'request' | 'reply'): Promise<void>;
  close(): Promise<void>;
}

const OP_MSG = 2013;
const WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify']);

/** The command document of an OP_MSG (its kind-0 section), or null for any other message. */
export function commandOf(message: Buffer): Document | null {
  if (message.readInt32LE(12) !== OP_MSG || message[20] !== 0) return null;
  const length = message.readInt32LE(21);
  return deserialize(message.subarray(21, 21 + length));
}

const sessionOf = (command: Document): string | null => command.lsid?.id?.toString('hex') ?? null;

/** Splits a byte stream into whole wire messages (each starts with its int32 length). */
function framer(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
      const length = pending.readInt32LE(0);
      onMessage(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  };
}

/** The database's host and port, and the connection string through the proxy (direct, same options). */
function rewrite(target: string, port: number): { host: string; port: number; uri: string } {
  const match = /^mongodb:\/\/(?:([^@/]*)@)?([^/?,]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(target);
  if (match === null) throw new Error('the wire proxy needs a single-host mongodb:// URI');
  const [, credentials, hostPort = '', path = '', query = ''] = match;
  const [host = '127.0.0.1', targetPort = '27017'] = hostPort.split(':');
  const options = query
    .split('&')
    .filter((option) => option !== '' && !/^(replicaSet|directConnection)=/i.test(option));
  const uri = `mongodb://${credentials ? `${credentials}@` : ''}127.0.0.1:${port}/${path}?${[
    'directConnection=true',
    ...options,
  ].join('&')}`;
  return { host, port: Number(targetPort), uri };
}

/** What a relay does with each whole wire message: pass it on (`send`), hold it, or pass it on later. */
export interface RelayHandlers {
  fromClient(message: Buffer, send: (message: Buffer) => void): void;
  fromServer(message: Buffer, send: (message: Buffer) => void): void;
}

/**
 * A TCP relay between a process and the MongoDB at `target`, whole wire messages at a time, each handed
 * to `handlers` to pass on or not. Returns the connection string through it and how to close it.
 */
export async function startRelay(
  target: string,
  handlers: RelayHandlers,
): Promise<{ uri: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: destination.host, port: destination.port });
    sockets.add(client).add(upstream);
    client.on(
      'data',
      framer((message) => handlers.fromClient(message, (out) => upstream.write(out))),
    );
    upstream.on(
      'data',
      framer((message) => handlers.fromServer(message, (out) => client.write(out))),
    );
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const destination = rewrite(target, (server.address() as AddressInfo).port);
  return {
    uri: destination.uri,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startWireProxy(target: string): Promise<WireProxy> {
  /** Sessions whose open transaction wrote to the armed collection. */
  const writers = new Set<string>();
  let armed: { collection: string; moment: 'request' | 'reply'; held: () => void; write?: true } | null = null;
  /** The request ids of held commits' requests, whose replies are withheld. */
  const awaitedReplies = new Set<number>();
  let frozen = false;
  const freeze = () => {
    frozen = true;
    armed?.held();
    armed = null;
  };

  const relay = await startRelay(target, {
    fromClient(message, send) {
      if (frozen) return;
      const command = commandOf(message);
      const name = command && Object.keys(command)[0];
      const session = command && sessionOf(command);
      if (armed?.write && command && name && WRITE_COMMANDS.has(name) && command[name] === armed.collection) {
        if (armed.moment === 'request') {
          freeze();
          return;
        }
        awaitedReplies.add(message.readInt32LE(4));
      } else if (armed !== null && command && name && session) {
        if (WRITE_COMMANDS.has(name) && command[name] === armed.collection && command.autocommit === false) {
          writers.add(session);
        }
        if (name === 'commitTransaction' && writers.has(session)) {
          if (armed.moment === 'request') {
            freeze();
            return;
          }
          awaitedReplies.add(message.readInt32LE(4));
        }
      }
      send(message);
    },
    fromServer(message, send) {
      if (frozen) return;
      if (awaitedReplies.has(message.readInt32LE(8))) {
        freeze();
        return;
      }
      send(message);
    },
  });

  return {
    uri: relay.uri,
    holdCommit(collection, moment) {
      return new Promise<void>((resolve) => {
        writers.clear();
        armed = { collection, moment, held: resolve };
      });
    },
    holdWrite(collection, moment) {
      return new Promise<void>((resolve) => {
        armed = { collection, moment, held: resolve, write: true };
      });
    },
    close: () => relay.close(),
  };
}

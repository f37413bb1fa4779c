import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { commandOf, framer, rewrite } from './wire-proxy.js';

/**
 * A TCP proxy in front of the test MongoDB that passes every wire message on `delayMs` late in each
 * direction: a database across a network, for a process connected through it. It counts the reads of
 * one collection (find, aggregate) in flight at once: how many operations the process had waiting on
 * the database together. Speaks to any MongoDB (the process connects directly).
 */
export interface SlowWire {
  /** The connection string the process under test uses instead of the database's own. */
  uri: string;
  delayMs: number;
  /** The most reads of `collection` that were in flight at once since the last call; starts counting anew. */
  takeMostReadsInFlight(): number;
  close(): Promise<void>;
}

const READS = new Set(['find', 'aggregate']);

export async function startSlowWire(target: string, collection: string): Promise<SlowWire> {
  const sockets = new Set<Socket>();
  const inFlight = new Set<number>();
  let most = 0;
  const late = (action: () => void) => (wire.delayMs === 0 ? action() : setTimeout(action, wire.delayMs));

  const server = createServer((client) => {
    const upstream = connect({ host: destination.host, port: destination.port });
    sockets.add(client).add(upstream);
    const fromClient = framer((message) => {
      const command = commandOf(message);
      const name = command && Object.keys(command)[0];
      if (name && READS.has(name) && command[name] === collection) {
        inFlight.add(message.readInt32LE(4));
        most = Math.max(most, inFlight.size);
      }
      late(() => upstream.write(message));
    });
    const fromServer = framer((message) => {
      late(() => {
        inFlight.delete(message.readInt32LE(8));
        client.write(message);
      });
    });
    client.on('data', fromClient);
    upstream.on('data', fromServer);
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

  const wire: SlowWire = {
    uri: destination.uri,
    delayMs: 0,
    takeMostReadsInFlight() {
      const seen = most;
      most = inFlight.size;
      return seen;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return wire;
}

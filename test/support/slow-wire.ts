import { commandOf, startRelay } from './wire-proxy.js';

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
  const inFlight = new Set<number>();
  let most = 0;
  const late = (action: () => void) => (wire.delayMs === 0 ? action() : setTimeout(action, wire.delayMs));

  const relay = await startRelay(target, {
    fromClient(message, send) {
      const command = commandOf(message);
      const name = command && Object.keys(command)[0];
      if (name && READS.has(name) && command[name] === collection) {
        inFlight.add(message.readInt32LE(4));
        most = Math.max(most, inFlight.size);
      }
      late(() => send(message));
    },
    fromServer(message, send) {
      late(() => {
        inFlight.delete(message.readInt32LE(8));
        send(message);
      });
    },
  });

  const wire: SlowWire = {
    uri: relay.uri,
    delayMs: 0,
    takeMostReadsInFlight() {
      const seen = most;
      most = inFlight.size;
      return seen;
    },
    close: () => relay.close(),
  };
  return wire;
}

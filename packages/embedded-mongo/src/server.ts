import type { ChangeHistoryWindow } from './change-streams/change-log.js';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Document } from 'bson';
import { isAwaitableHello } from './commands/handshake.js';
import { runCommand } from './commands/dispatch.js';
import type { ConnectionInfo } from './commands/context.js';
import { Engine } from './engine.js';
import { asCommandError, CommandError, ErrorCode } from './errors.js';
import { DurableStore } from './persistence/store.js';
import type { RecoveryReport } from './persistence/store.js';
import { FrameReader, OpCode } from './wire/framing.js';
import type { Frame } from './wire/framing.js';
import { decodeOpMsg, encodeOpMsg, MsgFlag } from './wire/op-msg.js';
import type { OpMsgRequest } from './wire/op-msg.js';
import { decodeOpQuery, encodeOpReply, REPLY_QUERY_FAILURE } from './wire/op-query.js';

/** A client connection: messages are handled one at a time, in arrival order, as mongod does per connection. */
class ClientConnection implements ConnectionInfo {
  readonly id: number;
  appName: string | undefined;
  private readonly socket: Socket;
  private readonly engine: Engine;
  private readonly reader = new FrameReader();
  private readonly closed = new AbortController();
  private queue: Promise<void> = Promise.resolve();
  private nextRequestId = 1;

  constructor(id: number, socket: Socket, engine: Engine) {
    this.id = id;
    this.socket = socket;
    this.engine = engine;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.closed.abort());
    socket.on('error', () => socket.destroy());
  }

  get signal(): AbortSignal {
    return this.closed.signal;
  }

  close(): void {
    this.closed.abort();
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch {
      // Without trustworthy framing there is no telling where the next message starts.
      this.close();
      return;
    }
    for (const frame of frames) this.queue = this.queue.then(() => this.handle(frame));
  }

  /** Never rejects: a message that cannot be answered closes only its own connection. */
  private async handle(frame: Frame): Promise<void> {
    try {
      if (frame.opCode === OpCode.Msg) await this.handleOpMsg(frame);
      else if (frame.opCode === OpCode.Query) await this.handleOpQuery(frame);
      // OP_COMPRESSED is never negotiated (hello offers no compressors); other opcodes are long obsolete.
      else this.close();
    } catch {
      this.close();
    }
  }

  private async handleOpMsg(frame: Frame): Promise<void> {
    let request: OpMsgRequest;
    try {
      request = decodeOpMsg(frame.body);
    } catch (error) {
      this.send(encodeOpMsg(this.requestId(), frame.requestId, malformed(error)));
      return;
    }
    const { command, flags } = request;
    const db = typeof command.$db === 'string' ? command.$db : 'admin';
    const exhaust = (flags & MsgFlag.ExhaustAllowed) !== 0 && isAwaitableHello(command);
    do {
      const reply = await runCommand(this.engine, command, db, this);
      if (this.signal.aborted) return;
      // With moreToCome set by the client (w:0 writes) no reply is expected at all.
      if (flags & MsgFlag.MoreToCome) return;
      this.send(
        encodeReply((r) => encodeOpMsg(this.requestId(), frame.requestId, r, exhaust ? MsgFlag.MoreToCome : 0), reply),
      );
    } while (exhaust);
  }

  private async handleOpQuery(frame: Frame): Promise<void> {
    let reply: Document;
    try {
      const { collection, query } = decodeOpQuery(frame.body);
      if (!collection.endsWith('.$cmd')) {
        throw new CommandError(ErrorCode.CommandNotSupported, 'OP_QUERY is only supported for commands');
      }
      reply = await runCommand(this.engine, query, collection.slice(0, -'.$cmd'.length), this);
    } catch (error) {
      const failure = asCommandError(error);
      this.send(
        encodeOpReply(
          this.requestId(),
          frame.requestId,
          { $err: failure.message, ...failure.toReply() },
          REPLY_QUERY_FAILURE,
        ),
      );
      return;
    }
    if (!this.signal.aborted) this.send(encodeReply((r) => encodeOpReply(this.requestId(), frame.requestId, r), reply));
  }

  private send(message: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(message);
  }

  private requestId(): number {
    this.nextRequestId = (this.nextRequestId % 0x7fffffff) + 1;
    return this.nextRequestId;
  }
}

/** Encodes a reply, or an InternalError reply in its place when the reply itself cannot be encoded (e.g. too large). */
function encodeReply(encode: (reply: Document) => Buffer, reply: Document): Buffer {
  try {
    return encode(reply);
  } catch (error) {
    return encode(asCommandError(error).toReply());
  }
}

function malformed(error: unknown): Document {
  const message = error instanceof Error ? error.message : String(error);
  return new CommandError(ErrorCode.FailedToParse, `malformed message: ${message}`).toReply();
}

/** The connection string of a server on a loopback port, which the official driver accepts as-is. */
export function connectionString(port: number, replSetName: string): string {
  return `mongodb://127.0.0.1:${port}/?replicaSet=${encodeURIComponent(replSetName)}`;
}

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  readonly replSetName: string;
  /** The data directory; undefined keeps everything in memory. */
  readonly dir: string | undefined;
  readonly snapshotAfterBytes: number | undefined;
  /** Whether test-only commands (configureFailPoint) are accepted, like mongod's enableTestCommands. */
  readonly testCommands: boolean;
  readonly changeHistory: ChangeHistoryWindow | undefined;
}

/** The TCP listener and its connections, around one engine. */
export class EmbeddedServer {
  private readonly server: Server;
  private readonly connections = new Set<ClientConnection>();
  private engine: Engine | undefined;
  private store: DurableStore | undefined;
  private lastConnectionId = 0;

  constructor() {
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Starts listening and returns the bound port (the requested one, or a free one for port 0). */
  async listen(options: ListenOptions): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(options.port, options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    const engine = new Engine(
      { host: options.host, port, replSetName: options.replSetName },
      { testCommands: options.testCommands, changeHistory: options.changeHistory },
    );
    try {
      if (options.dir !== undefined) {
        const { dir, snapshotAfterBytes, replSetName } = options;
        const uri = connectionString(port, replSetName);
        this.store = await DurableStore.open(
          engine,
          snapshotAfterBytes === undefined ? { dir, uri } : { dir, uri, snapshotAfterBytes },
        );
      }
    } catch (error) {
      engine.close();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
      throw error;
    }
    // Connections are accepted only once recovery is complete.
    this.engine = engine;
    return port;
  }

  /** What recovery found at start; undefined for a server that keeps nothing. */
  get recovery(): RecoveryReport | undefined {
    return this.store?.recovery;
  }

  /** Closes the listener and every connection; resolves once the port is released. */
  async stop(): Promise<void> {
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.close();
    this.connections.clear();
    this.engine?.close();
    await closing;
    await this.store?.close();
  }

  private accept(socket: Socket): void {
    if (!this.engine) {
      socket.destroy();
      return;
    }
    this.lastConnectionId += 1;
    const connection = new ClientConnection(this.lastConnectionId, socket, this.engine);
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }
}

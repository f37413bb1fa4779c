import type { Document } from 'bson';
import type { DataAccess } from '../data-access.js';
import type { Engine } from '../engine.js';
import type { Session, Transaction } from '../transactions.js';

/** The client connection a command arrived on. */
export interface ConnectionInfo {
  readonly id: number;
  /** Aborted when the connection closes or the server stops, ending any wait on its behalf. */
  readonly signal: AbortSignal;
  /** The application name the client gave in its handshake (`client.application.name`). */
  appName: string | undefined;
  /** Drops the connection without a reply (a fail point's closeConnection). */
  close(): void;
}

export interface CommandContext {
  readonly engine: Engine;
  /** The command's database (`$db`). */
  readonly db: string;
  readonly data: DataAccess;
  readonly session: Session | undefined;
  readonly transaction: Transaction | undefined;
  readonly connection: ConnectionInfo;
}

export type CommandHandler = (command: Document, context: CommandContext) => Document | Promise<Document>;

/** Handlers by command name (the first field of the command document). */
export type CommandTable = Readonly<Record<string, CommandHandler>>;

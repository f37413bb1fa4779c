import { setTimeout as delay } from 'node:timers/promises';
import { Long, ObjectId } from 'bson';
import type { Document } from 'bson';
import { isPlainObject } from '../values/kinds.js';
import { optionalNumber } from './arguments.js';
import type { Engine } from '../engine.js';
import type { CommandContext, CommandTable } from './context.js';

/** The MongoDB release whose wire protocol (maxWireVersion 21) this server speaks. */
const SERVER_VERSION = '7.0.0';
const MAX_WIRE_VERSION = 21;
const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
const MAX_WRITE_BATCH_SIZE = 100_000;
const LOGICAL_SESSION_TIMEOUT_MINUTES = 30;

const ELECTION_ID = new ObjectId('7fffffff0000000000000001');

/** The topology of a single member never changes: its version is this server instance's, at counter 0. */
export function topologyVersion(engine: Engine): Document {
  return { processId: engine.processId, counter: Long.ZERO };
}

/**
 * A hello carrying topologyVersion and maxAwaitTimeMS is the driver's streaming monitor: the server
 * answers it when the topology changes or after maxAwaitTimeMS.
 */
export function isAwaitableHello(command: Document): boolean {
  return isPlainObject(command.topologyVersion) && command.maxAwaitTimeMS !== undefined;
}

/** The topology of a single member never changes, so only a monitor that knows another server instance is answered at once. */
function knowsThisServer(command: Document, processId: ObjectId): boolean {
  const known = (command.topologyVersion as Document).processId;
  return known instanceof ObjectId && known.equals(processId);
}

/** The application name of the client's handshake, kept for fail points that filter on it. */
function rememberAppName(command: Document, context: CommandContext): void {
  const client = command.client;
  const application = isPlainObject(client) ? client.application : undefined;
  if (isPlainObject(application) && typeof application.name === 'string') context.connection.appName = application.name;
}

async function hello(command: Document, context: CommandContext): Promise<Document> {
  rememberAppName(command, context);
  const { processId } = context.engine;
  if (isAwaitableHello(command) && knowsThisServer(command, processId)) {
    const wait = optionalNumber(command, 'maxAwaitTimeMS') ?? 0;
    await delay(wait, undefined, { signal: context.connection.signal }).catch(() => undefined);
  }
  const { host, port, replSetName } = context.engine.identity;
  const address = `${host}:${port}`;
  const legacy = command.hello === undefined;
  const lastWrite = context.engine.clock.current();
  return {
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    helloOk: true,
    topologyVersion: topologyVersion(context.engine),
    hosts: [address],
    setName: replSetName,
    setVersion: 1,
    primary: address,
    me: address,
    secondary: false,
    electionId: ELECTION_ID,
    lastWrite: {
      opTime: { ts: lastWrite, t: Long.ONE },
      lastWriteDate: new Date(lastWrite.t * 1000),
      majorityOpTime: { ts: lastWrite, t: Long.ONE },
      majorityWriteDate: new Date(lastWrite.t * 1000),
    },
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: LOGICAL_SESSION_TIMEOUT_MINUTES,
    connectionId: context.connection.id,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
}

function buildInfo(): Document {
  return {
    version: SERVER_VERSION,
    versionArray: SERVER_VERSION.split('.').map(Number).concat(0),
    gitVersion: 'embedded',
    modules: [],
    bits: 64,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['memory'],
    ok: 1,
  };
}

function endSessions(command: Document, context: CommandContext): Document {
  const sessions: unknown = command.endSessions;
  context.engine.transactions.endSessions(Array.isArray(sessions) ? sessions : []);
  return { ok: 1 };
}

/**
 * Kills sessions by lsid, another client's included: their transactions are aborted and their write
 * locks released at once, rather than when they expire (what a replacement of a crashed process uses).
 */
function killSessions(command: Document, context: CommandContext): Document {
  const sessions: unknown = command.killSessions;
  context.engine.transactions.endSessions(Array.isArray(sessions) ? sessions : []);
  return { ok: 1 };
}

export const handshakeCommands: CommandTable = {
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: () => ({ ok: 1 }),
  buildInfo,
  buildinfo: buildInfo,
  endSessions,
  killSessions,
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
};

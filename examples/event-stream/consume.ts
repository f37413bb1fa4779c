/**
 * An integration that follows a tenant's export events and never loses its place:
 *
 *   TENANTGRAPH_CREDENTIAL=tgk_… npx tsx examples/event-stream/consume.ts
 *
 * It prints every event as one JSON line on stdout (replace `handle` with your own work) and keeps the
 * cursor of the last event it handled in CURSOR_FILE. When the connection drops (a deploy, a network
 * fault, the server ending a stream it fell behind on), it reconnects with a growing delay and resumes
 * right after that cursor: no event is skipped. It stops on SIGINT/SIGTERM after finishing the event in
 * hand, and gives up (exit code 1) when retrying cannot help: refused credentials, a cursor older than
 * the server keeps, missing rights.
 *
 * Environment:
 *   TENANTGRAPH_CREDENTIAL  an API key (`tgk_…`) or a user's JWT, holding INTEGRATOR or ADMIN (required)
 *   TENANTGRAPH_URL         default ws://127.0.0.1:4000/graphql
 *   TENANTGRAPH_TENANT      the tenant's slug (X-Tenant-ID); omitted: the credential's own tenant
 *   EVENT_TYPES             comma-separated types to keep, e.g. `park.created,park.deleted`; omitted: all
 *   CURSOR_FILE             default .event-cursor
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

interface ExportEvent {
  id: string;
  type: string;
  source: string;
  subject: string | null;
  time: string;
  data: unknown;
  cursor: string;
}

interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: unknown };
}

const SUBSCRIPTION = /* GraphQL */ `
  subscription Follow($after: String, $types: [String!]) {
    exportEvents(after: $after, types: $types) {
      id type source subject time data cursor
    }
  }
`;

/** Close codes and error codes after which the same request with the same credentials fails again. */
const FATAL_CLOSE_CODES = new Set([4400, 4401, 4403]);
const FATAL_ERROR_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'TENANT_SUSPENDED']);
const MAX_DELAY_MS = 30_000;

const credential = process.env.TENANTGRAPH_CREDENTIAL;
if (!credential) {
  process.stderr.write('consume: set TENANTGRAPH_CREDENTIAL to an API key or a token\n');
  process.exit(2);
}
const url = process.env.TENANTGRAPH_URL ?? 'ws://127.0.0.1:4000/graphql';
const tenant = process.env.TENANTGRAPH_TENANT;
const types = process.env.EVENT_TYPES ? process.env.EVENT_TYPES.split(',').map((type) => type.trim()) : null;
const cursorFile = process.env.CURSOR_FILE ?? '.event-cursor';

const log = (message: string) => process.stderr.write(`consume: ${message}\n`);

/** Your work goes here. It runs once per event, in the tenant's commit order. */
async function handle(event: ExportEvent): Promise<void> {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function loadCursor(): Promise<string | null> {
  try {
    return (await readFile(cursorFile, 'utf8')).trim() || null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Written to a temporary file, then renamed over the old one: a crash never leaves half a cursor. */
async function saveCursor(cursor: string): Promise<void> {
  await writeFile(`${cursorFile}.tmp`, cursor);
  await rename(`${cursorFile}.tmp`, cursorFile);
}

class StreamErrors extends Error {
  constructor(readonly errors: readonly GraphQLErrorShape[]) {
    super(errors.map((error) => `${String(error.extensions?.code)}: ${error.message}`).join('; '));
  }
}

/** What ended a stream, and whether reconnecting can help. */
function diagnose(failure: unknown): { fatal: boolean; reason: string } {
  const errors = failure instanceof StreamErrors ? failure.errors : Array.isArray(failure) ? failure : null;
  if (errors) {
    const fatal = errors.some((error) => FATAL_ERROR_CODES.has(String(error.extensions?.code)));
    return { fatal, reason: new StreamErrors(errors).message };
  }
  const close = failure as { code?: unknown; reason?: unknown } | null;
  if (typeof close?.code === 'number') {
    return { fatal: FATAL_CLOSE_CODES.has(close.code), reason: `closed ${close.code} ${String(close.reason ?? '')}` };
  }
  return { fatal: false, reason: failure instanceof Error ? failure.message : 'connection failed' };
}

let stopping = false;
let wake: () => void = () => {};
let disposeClient: () => void = () => {};
const stop = () => {
  stopping = true;
  disposeClient();
  wake();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

let delayMs = 0;
while (!stopping) {
  const after = await loadCursor();
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    // Reconnecting is this loop's job: graphql-ws would resubscribe with the cursor it started from.
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${credential}`, ...(tenant ? { 'x-tenant-id': tenant } : {}) },
    on: { connected: () => log(after ? 'connected, resuming after the stored cursor' : 'connected, from now on') },
  });
  disposeClient = () => void client.dispose();
  try {
    for await (const result of client.iterate<{ exportEvents: ExportEvent }>({
      query: SUBSCRIPTION,
      variables: { after, types },
    })) {
      if (result.errors?.length) throw new StreamErrors(result.errors);
      const event = result.data?.exportEvents;
      if (!event) continue;
      await handle(event);
      await saveCursor(event.cursor); // after handling: at least once on this side, exactly once from the server
      delayMs = 0;
    }
    if (!stopping) log('the server ended the stream');
  } catch (failure) {
    if (stopping) break;
    const { fatal, reason } = diagnose(failure);
    if (fatal) {
      log(`giving up: ${reason}`);
      process.exitCode = 1;
      break;
    }
    log(`stream lost: ${reason}`);
  } finally {
    await client.dispose();
  }
  if (stopping) break;
  delayMs = Math.min(MAX_DELAY_MS, Math.max(250, delayMs * 2));
  const jittered = Math.round(delayMs * (0.5 + Math.random() / 2));
  log(`reconnecting in ${jittered} ms`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, jittered);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

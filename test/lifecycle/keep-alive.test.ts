import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { queryLimitRules } from '../../src/limits/query-limits.js';
import { buildSchema } from '../../src/server/schema.js';
import { attachWebSocketServer, KEEP_ALIVE_MS } from '../../src/server/websocket.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Keep-alive: the server pings every socket (ws ping frames) and destroys one whose pong does not
 * come back within the interval, so a vanished peer's subscriptions end (graphql-ws `useServer`'s
 * third argument, explicit in websocket.ts). A WebSocket server of its own, with a 200 ms interval,
 * on the test server's services.
 */
const INTERVAL_MS = 200;
let server: TestServer;
let http: Server;
let url: string;
let webSocket: ReturnType<typeof attachWebSocketServer>;

beforeAll(async () => {
  server = await startTestServer();
  http = createServer();
  webSocket = attachWebSocketServer(http, {
    schema: buildSchema(),
    services: server.app.services,
    validationRules: queryLimitRules(),
    formatError: (formatted) => formatted,
    keepAliveMs: INTERVAL_MS,
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await webSocket?.close();
  await new Promise((resolve) => http?.close(resolve));
  await server?.stop();
});

/** A raw graphql-transport-ws client, acknowledged; `autoPong: false` plays a peer that vanished. */
async function connect(autoPong: boolean) {
  const socket = new WebSocket(url, 'graphql-transport-ws', { autoPong });
  const closed = new Promise<{ code: number; at: number }>((resolve) =>
    socket.on('close', (code) => resolve({ code, at: Date.now() })),
  );
  let pings = 0;
  socket.on('ping', () => (pings += 1));
  await new Promise((resolve) => socket.on('open', resolve));
  socket.send(
    JSON.stringify({
      type: 'connection_init',
      payload: { authorization: `Bearer ${await server.token('frank@example.com')}` },
    }),
  );
  await new Promise<void>((resolve, reject) =>
    socket.on('message', (data) => {
      const type = (JSON.parse(String(data)) as { type: string }).type;
      if (type === 'connection_ack') resolve();
      else reject(new Error(`unexpected ${type}`));
    }),
  );
  const since = Date.now();
  return { socket, closed, since, pings: () => pings };
}

describe('keep-alive', () => {
  it('defaults to graphql-ws’s 12 s', () => {
    expect(KEEP_ALIVE_MS).toBe(12_000);
  });

  it('a peer that stops answering pings is dropped within two intervals, and no longer watched', async () => {
    const peer = await connect(false);
    expect(webSocket.connections).toBe(1);
    const closed = await Promise.race([
      peer.closed,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 10 * INTERVAL_MS)),
    ]);
    expect(closed?.code).toBe(1006); // terminated: no close handshake with a dead peer
    // Ping after one interval, terminate one interval later; the slack absorbs CI timer jitter.
    expect(closed!.at - peer.since).toBeLessThanOrEqual(2 * INTERVAL_MS + 500);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(webSocket.connections).toBe(0);
  });

  it('a peer that answers stays connected, pinged every interval', async () => {
    const peer = await connect(true);
    await new Promise((resolve) => setTimeout(resolve, 5 * INTERVAL_MS));
    expect(peer.socket.readyState).toBe(WebSocket.OPEN);
    expect(peer.pings()).toBeGreaterThanOrEqual(3);
    peer.socket.close();
    await peer.closed;
  });
});

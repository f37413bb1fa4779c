import { startEmbeddedMongo } from './index.js';

/** The port from `--port N` / `--port=N`, else the PORT environment variable, else 0 (a free port). */
function requestedPort(args: readonly string[]): number {
  const flag = args.findIndex((arg) => arg === '--port' || arg.startsWith('--port='));
  const value = flag < 0 ? process.env.PORT : args[flag]?.includes('=') ? args[flag]?.split('=')[1] : args[flag + 1];
  const port = Number(value ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port: ${String(value)}`);
  return port;
}

const server = await startEmbeddedMongo({ port: requestedPort(process.argv.slice(2)) });
process.stdout.write(`${server.uri}\n`);

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  void server.stop().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

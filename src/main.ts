import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

function configOrExit() {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`tenantgraph: ${error.message}\n`);
    process.exit(1);
  }
}

const config = configOrExit();
const logger = createLogger(config);
// Tracing patches `http` and `graphql` as they load: it starts before the server's modules are imported.
const tracing = config.tracing ? (await import('./telemetry/tracing.js')).startTracing(config.tracing) : null;
const { startApp } = await import('./server/app.js');
const app = await startApp(config, logger);

let stopping = false;
const shutdown = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: finishing in-flight requests');
  app
    .stop()
    .then(() => tracing?.shutdown())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

import { tracingFromEnv } from './telemetry/tracing-config.js';

// Tracing patches `http` and `graphql` as they load: it starts before any module that imports them
// (the configuration already does), so everything else is imported after it.
const tracingConfig = tracingFromEnv(process.env);
const tracing = tracingConfig ? (await import('./telemetry/tracing.js')).startTracing(tracingConfig) : null;
const { ConfigError, loadConfig } = await import('./config.js');
const { createLogger } = await import('./logger.js');

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
const { startApp } = await import('./server/app.js');
const { StartupError } = await import('./server/startup-error.js');

/** Start-up that cannot complete (no database within MONGODB_TIMEOUT_MS, a port in use): one line, exit 1. */
async function startOrExit() {
  try {
    return await startApp(config, logger);
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    process.stderr.write(`tenantgraph: ${error.message}\n`);
    process.exit(1);
  }
}

const app = await startOrExit();

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

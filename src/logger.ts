import { pino, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';
import type { Config } from './config.js';

/** Where logs go; stdout unless a test says otherwise. */
export type LogStream = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * The process's logger: JSON lines (what log collectors read), except in a terminal outside
 * production, where pino-pretty prints them readably (one coloured line per event, fields below).
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'nodeEnv'>, stream: LogStream = process.stdout): Logger {
  if (stream.isTTY === true && config.nodeEnv !== 'production') {
    const pretty = PinoPretty({
      destination: stream,
      colorize: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      sync: true,
    });
    return pino({ level: config.logLevel }, pretty);
  }
  return pino({ level: config.logLevel }, stream);
}

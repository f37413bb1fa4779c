import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger, type LogStream } from '../../src/logger.js';

/** A stream that keeps what is written, optionally claiming to be a terminal. */
function capture(isTTY: boolean): LogStream & { text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return Object.assign(stream, { isTTY, text: () => chunks.join('') });
}

const logOnce = (stream: ReturnType<typeof capture>, nodeEnv: 'development' | 'test' | 'production') => {
  const logger = createLogger({ logLevel: 'info', nodeEnv }, stream);
  logger.info({ tenant: 'texas', requestId: 'r-1' }, 'graphql request');
  logger.flush();
  return stream.text();
};

describe('logs', () => {
  it('are readable in a development terminal: no JSON, the message and fields in plain sight', () => {
    const text = stripVTControlCharacters(logOnce(capture(true), 'development'));
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toContain('graphql request');
    expect(text).toMatch(/INFO/);
    expect(text).toMatch(/^\[[\d:.]+\] INFO: graphql request\n {4}tenant: "texas"\n/);
    expect(text).not.toContain('hostname');
  });

  it('are JSON lines when stdout is not a terminal (a file, a pipe, a log collector)', () => {
    const text = logOnce(capture(false), 'development');
    expect(JSON.parse(text)).toMatchObject({ level: 30, msg: 'graphql request', tenant: 'texas', requestId: 'r-1' });
  });

  it('are JSON lines in production, even in a terminal', () => {
    const text = logOnce(capture(true), 'production');
    expect(JSON.parse(text)).toMatchObject({ msg: 'graphql request', tenant: 'texas' });
  });
});

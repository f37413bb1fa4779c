import { createClient, type Client, type ClientOptions, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { expect } from 'vitest';

/** One sample line of the Prometheus text format: `name{label="value",…} number`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** Parses Prometheus text exposition; comments and blank lines are skipped, anything else must parse. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include all of `labels` (0 when there is none). */
export function metricValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name)
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

export async function scrape(baseUrl: string): Promise<Sample[]> {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return parsePrometheus(await response.text());
}

/**
 * What must never reach a client, in any error: a stack trace, Apollo's `exception` extension, or
 * text of the MongoDB driver or of the database server.
 */
export const LEAK = /stacktrace|"exception"|\bat [\w.<>]+ \(|Mongo|ECONNREFUSED|server selection|topology|\.ts:\d+/i;

export function expectNoLeak(body: unknown) {
  expect(typeof body === 'string' ? body : JSON.stringify(body)).not.toMatch(LEAK);
}

export const wsUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/graphql`;

export interface WsOutcome {
  result?: FormattedExecutionResult<Record<string, unknown>, unknown>;
  /** What the client's sink got as an error: a list of GraphQL errors or a close event. */
  error?: unknown;
}

/** A graphql-ws client that never retries, so a refused connection ends the operation. */
export function wsClient(url: string, options: Partial<ClientOptions> = {}) {
  const closes: Array<{ code: number; reason: string }> = [];
  const client: Client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    shouldRetry: () => false,
    lazy: true,
    ...options,
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.push({ code, reason: String(reason) });
      },
      ...options.on,
    },
  });
  return { client, closes };
}

/** Runs one operation to its end: the first result (then unsubscribes) or the error. */
export function runOnce(
  client: Client,
  payload: { query: string; variables?: Record<string, unknown>; operationName?: string },
): Promise<WsOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const unsubscribe = client.subscribe<Record<string, unknown>>(payload, {
      next: (result) => {
        if (settled) return;
        settled = true;
        resolve({ result });
        unsubscribe();
      },
      error: (error) => {
        if (settled) return;
        settled = true;
        resolve({ error });
      },
      complete: () => {
        if (settled) return;
        settled = true;
        resolve({});
      },
    });
  });
}

/** The close code of a close event a graphql-ws sink received, or undefined when it was something else. */
export const closeCode = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number'
    ? error.code
    : undefined;

/** The `extensions.code`s of the GraphQL errors a graphql-ws sink received (an array of errors). */
export const wsErrorCodes = (error: unknown): unknown[] =>
  Array.isArray(error) ? error.map((entry: { extensions?: { code?: unknown } }) => entry.extensions?.code) : [];

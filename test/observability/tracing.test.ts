import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../../src/telemetry/tracing.js';
import { TENANT_ATTRIBUTE } from '../../src/server/plugins/tenant-span.js';

/**
 * Tracing with the official Node SDK and its GraphQL instrumentation, exported to memory. It patches
 * `http` and `graphql` as they load, so it starts before the server's modules are imported (as
 * src/main.ts does): this file imports the test server only afterwards. One process per test file
 * keeps the patched modules out of every other test.
 */
const exporter = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'tenantgraph-test', resolverSpans: false }, exporter);
const { startTestServer } = await import('../support/server.js');
type TestServer = Awaited<ReturnType<typeof startTestServer>>;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
  await tracing.shutdown();
});

const PARKS = 'query ParkNames { parks(first: 3) { nodes { name region } } }';

/** The spans finished while `run` ran: one request, so one trace. */
async function traceOf(run: () => Promise<unknown>): Promise<ReadableSpan[]> {
  exporter.reset();
  await run();
  const spans = exporter.getFinishedSpans();
  expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
  return spans;
}

describe('tracing', () => {
  it('traces a GraphQL request: an HTTP server span with parse, validate and execute spans under it', async () => {
    const spans = await traceOf(() => server.as('alice@example.com', PARKS));
    const root = spans.find((span) => span.kind === SpanKind.SERVER);
    expect(root?.name).toMatch(/^POST/);
    const names = spans.map((span) => span.name);
    expect(names).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate', 'query ParkNames']));
    for (const span of spans.filter((span) => span !== root)) {
      expect(span.parentSpanContext?.spanId).toBe(root!.spanContext().spanId);
    }
  });

  it('names the active tenant on the request’s span', async () => {
    const texas = await traceOf(() => server.as('alice@example.com', PARKS));
    const washington = await traceOf(() => server.as('bob@example.com', PARKS));
    const tenantOf = (spans: ReadableSpan[]) =>
      spans.map((span) => span.attributes[TENANT_ATTRIBUTE]).filter((value) => value !== undefined);
    expect(tenantOf(texas)).toEqual(['texas']);
    expect(tenantOf(washington)).toEqual(['washington']);
  });

  it('has no resolver spans by default', async () => {
    const spans = await traceOf(() => server.as('alice@example.com', PARKS));
    expect(spans.filter((span) => span.name.startsWith('graphql.resolve'))).toEqual([]);
    expect(spans.some((span) => span.name === 'query ParkNames')).toBe(true);
  });

  it('keeps variable values out of spans', async () => {
    const spans = await traceOf(() =>
      server.as('alice@example.com', 'query One($id: ID!) { park(id: $id) { name } }', {
        variables: { id: 'secret-looking-id' },
      }),
    );
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain('secret-looking-id');
  });

  it('does not trace probes and scrapes', async () => {
    exporter.reset();
    await fetch(`${server.url}/healthz`);
    await fetch(`${server.url}/readyz`);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

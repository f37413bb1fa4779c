import { createRequire } from 'node:module';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './tracing-config.js';

export interface Tracing {
  /** Ends the instrumentation and sends the spans still buffered. */
  shutdown(): Promise<void>;
}

/** Probes and scrapes would be most of the traces and tell nothing. */
const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * OpenTelemetry tracing with the official Node SDK: a server span per HTTP request and the GraphQL
 * parse, validate and execute spans under it (resolver spans only when asked for). Spans go to the
 * OTLP/HTTP endpoint of OTEL_EXPORTER_OTLP_ENDPOINT (the exporter reads the standard OTEL_EXPORTER_OTLP_*
 * variables), or to `exporter` when given (tests).
 *
 * It patches `http` and `graphql` as they are loaded (their CommonJS `require`), so it must start
 * before the application's modules are imported: src/main.ts imports the server after calling this.
 */
export function startTracing(config: TracingConfig, exporter?: SpanExporter): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has(new URL(request.url ?? '/', 'http://x').pathname),
        // Outgoing calls are the identity provider's JWKS and the OTLP exporter itself.
        ignoreOutgoingRequestHook: () => true,
      }),
      new GraphQLInstrumentation({
        ignoreResolveSpans: !config.resolverSpans,
        ignoreTrivialResolveSpans: true,
        mergeItems: true,
        allowValues: false,
      }),
    ],
  });
  // Load graphql through CommonJS `require` now, so that its modules are patched even when the
  // application's ESM imports of it would go through a loader's hooks (tsx) instead of `require`:
  // those imports then get this already-patched module from the cache.
  createRequire(import.meta.url)('graphql');
  return {
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}

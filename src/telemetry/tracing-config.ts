import { z } from 'zod';

/** OpenTelemetry tracing, on when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
export interface TracingConfig {
  serviceName: string;
  /** A span per non-trivial resolver: detailed, and many spans per request. */
  resolverSpans: boolean;
}

/** An empty value means unset, as for every variable (src/config.ts). */
const variable = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/**
 * The tracing variables, validated by src/config.ts with all the others. They live apart, with
 * nothing but zod, because src/main.ts reads them before anything imports `graphql` or `http`:
 * instrumentation patches those modules as they load (src/telemetry/tracing.ts).
 */
export const TRACING_VARIABLES = {
  OTEL_EXPORTER_OTLP_ENDPOINT: variable(
    z.string().refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), 'expected an http(s):// URL'),
  ),
  OTEL_SERVICE_NAME: variable(z.string().trim().min(1, 'expected a non-empty value')),
  TRACE_GRAPHQL_RESOLVERS: variable(
    z
      .enum(['true', 'false', '1', '0'], 'expected true, false, 1 or 0')
      .transform((value) => value === 'true' || value === '1'),
  ),
};

const TracingSchema = z.object(TRACING_VARIABLES);

export function tracingConfig(values: z.infer<typeof TracingSchema>): TracingConfig | null {
  if (values.OTEL_EXPORTER_OTLP_ENDPOINT === undefined) return null;
  return {
    serviceName: values.OTEL_SERVICE_NAME ?? 'tenantgraph',
    resolverSpans: values.TRACE_GRAPHQL_RESOLVERS ?? false,
  };
}

/** The tracing configuration of `env`, or null when tracing is off or a value is bad (loadConfig then says which). */
export function tracingFromEnv(env: NodeJS.ProcessEnv): TracingConfig | null {
  const parsed = TracingSchema.safeParse(env);
  return parsed.success ? tracingConfig(parsed.data) : null;
}

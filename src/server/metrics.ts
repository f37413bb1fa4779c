import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ExportFeed } from '../events/feed.js';

/** Prometheus metrics of one server instance, served at /metrics. */
export interface Metrics {
  registry: Registry;
  requests: Counter<'operation_type'>;
  errors: Counter<'code'>;
  duration: Histogram<'operation_type'>;
  /** Commands sent to the database: with `requests`, the round trips a request costs. */
  databaseCommands: Counter<'command'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'tenantgraph_graphql_requests_total',
      // No tenant label: one series per tenant breaks Prometheus at a few hundred tenants. Per-tenant
      // figures are in the usage ledger (docs/limits.md).
      help: 'GraphQL requests by operation type',
      labelNames: ['operation_type'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'tenantgraph_graphql_errors_total',
      help: 'GraphQL errors by contract error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'tenantgraph_graphql_request_duration_seconds',
      help: 'GraphQL request duration',
      labelNames: ['operation_type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    databaseCommands: new Counter({
      name: 'tenantgraph_database_commands_total',
      help: 'Commands sent to MongoDB, by command name',
      labelNames: ['command'],
      registers: [registry],
    }),
  };
}

/** The export-event subscriptions of this instance, read from the feed at each scrape. */
export function trackExportFeed(metrics: Metrics, feed: ExportFeed): void {
  new Gauge({
    name: 'tenantgraph_export_subscribers',
    help: 'Live exportEvents streams on this instance',
    registers: [metrics.registry],
    collect() {
      this.set(feed.subscribers());
    },
  });
  new Counter({
    name: 'tenantgraph_export_streams_started_total',
    help: 'exportEvents streams started on this instance',
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(feed.started());
    },
  });
}

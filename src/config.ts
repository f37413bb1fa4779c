import { join } from 'node:path';
import { z } from 'zod';
import { TenantHostPattern } from './tenancy/host-pattern.js';
import type { AuthThrottleOptions } from './limits/auth-throttle.js';
import { parseTrustProxy, TRUST_NOBODY, type TrustProxy } from './limits/client-address.js';
import { PlansOverride, resolvePlans, type Plans } from './limits/plans.js';
import { TRACING_VARIABLES, tracingConfig, type TracingConfig } from './telemetry/tracing-config.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** Dev-issuer mode signs its own demo tokens with a key kept in `dataDir`; oidc trusts an identity provider. */
export type AuthConfig =
  | { mode: 'dev'; dataDir: string }
  | { mode: 'oidc'; jwksUrl: string; issuer: string; audience: string };

export interface Config {
  port: number;
  host: string;
  /** Undefined: start the embedded MongoDB-compatible server. */
  mongodbUri: string | undefined;
  mongodbDb: string;
  /** The other clusters a tenant's placement may name: `<NAME>` of each `MONGODB_URI_<NAME>` → its URI. */
  clusterUris: ReadonlyMap<string, string>;
  /** Where the embedded server keeps its data (used only without MONGODB_URI); ':memory:' keeps nothing. */
  embeddedDbDir: string;
  /**
   * How long the database may take at each stage of an operation (server selection, pool, socket) and
   * a transaction's retries. Past it a request fails with SERVICE_UNAVAILABLE, and start-up exits
   * naming the host.
   */
  mongodbTimeoutMs: number;
  /** After SIGTERM, how long requests in flight may take before their connections are closed. */
  shutdownGraceMs: number;
  auth: AuthConfig;
  seed: boolean;
  logLevel: LogLevel;
  gatewaySecret: string | undefined;
  /** Undefined: /metrics answers loopback clients only; else it requires `Authorization: Bearer <it>`. */
  metricsToken: string | undefined;
  /** How long identity data is cached; changes apply at once through the identity feed, this is its fallback. */
  membershipCacheTtlMs: number;
  /** How long export events are kept (a TTL index on their time); older cursors cannot be resumed. */
  eventRetentionDays: number;
  /** Live events an exportEvents subscriber may have unread before its stream ends with RATE_LIMITED. */
  exportBufferEvents: number;
  /** How long the event sequencer's lease lasts unrenewed: after a crash, events wait at most about this long. */
  eventSequencerLeaseMs: number;
  /** `max-age` of GET answers of trusted persisted operations (`Cache-Control: private`). */
  biCacheMaxAgeSeconds: number;
  /** The longest lifetime an export link may be given. */
  exportLinkMaxTtlSeconds: number;
  /** The origin export links are built on; undefined: the address the server listens on. */
  publicUrl: string | undefined;
  introspection: boolean;
  nodeEnv: NodeEnv;
  /** `{tenant}.api.example.com`: the request's Host names the active tenant; undefined: Host names none. */
  tenantHostPattern: TenantHostPattern | undefined;
  /** The limits of each plan: the documented defaults with PLANS applied (src/limits/plans.ts). */
  plans: Plans;
  /** Failed authentications a client address may make before it gets 429, and the pace after. */
  authFailures: AuthThrottleOptions;
  /** Which TCP peers are proxies whose `X-Forwarded-For` names the client (TRUST_PROXY); default nobody. */
  trustProxy: TrustProxy;
  /** How often each instance exchanges its tenants' consumption with the others, in ms. */
  rateLimitSyncMs: number;
  /** How often the usage ledger is written, in ms. */
  usageFlushMs: number;
  /** Operations executing at once on this instance, shared fairly between tenants (src/limits/fair-queue.ts). */
  executionConcurrency: number;
  /** The most places it grows to while operations wait on the database, not on the event loop. */
  executionConcurrencyMax: number;
  /** Null: no tracing. */
  tracing: TracingConfig | null;
  /** Where import and export files are staged: GridFS in the database, or an S3-compatible bucket. */
  staging: StagingConfig;
  /** The job queue: a claim's lease, how often an idle instance looks for work, jobs run at once here. */
  jobs: { leaseMs: number; pollMs: number; workers: number };
}

export type StagingConfig = {
  /** The default size limit of an upload through a valet URL, in bytes. */
  maxUploadBytes: number;
  /** The default lifetime of a valet URL, in seconds. */
  urlTtlSeconds: number;
  /** How long an export job's file is kept (and downloadable) after it was written, in seconds. */
  exportFileTtlSeconds: number;
  /** How often each instance deletes the staged files whose time is over, in ms; 0: never. */
  sweepMs: number;
  /** How long after it started a write that never completed is taken as cut off by a crash, in seconds. */
  unfinishedGraceSeconds: number;
} & (
  | { store: 'gridfs' }
  | {
      store: 's3';
      bucket: string;
      endpoint: string | undefined;
      region: string;
      forcePathStyle: boolean;
      credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    }
);

/** A bad environment value. The message is one line: the variable, then the problem. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Their values never appear in an error message, which ends up in logs. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'MONGODB_URI',
  'GATEWAY_SECRET',
  'METRICS_TOKEN',
  'STAGING_S3_SECRET_ACCESS_KEY',
]);
const AUTH_VARIABLES = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const;
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

const integer = (min: number, max: number) => {
  const expected = `expected an integer from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d+$/, expected)
    .transform(Number)
    .refine((value) => value >= min && value <= max, expected);
};

const flag = z
  .enum(['true', 'false', '1', '0'], 'expected true, false, 1 or 0')
  .transform((value) => value === 'true' || value === '1');

const text = z.string().trim().min(1, 'expected a non-empty value');

/** Plain http would let anyone on the path substitute the signing keys, so it is for loopback only. */
const jwksUrl = z.string().refine((value) => {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}, 'expected an https:// URL (http:// only on localhost)');

/** An origin and optional path prefix, without a trailing slash, e.g. `https://api.example.com`. */
const publicUrl = z.string().refine((value) => {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && !value.endsWith('/') && !url.search && !url.hash;
}, 'expected an http(s):// URL without a trailing slash, query or fragment');

/** An empty value (`PORT=` in a shell or an env file) means unset. */
const variable = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** JSON text holding a value that `schema` accepts. */
const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const EnvSchema = z.object({
  PORT: variable(integer(0, 65_535)),
  HOST: variable(text),
  MONGODB_URI: variable(z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/, 'expected a mongodb:// or mongodb+srv:// URI')),
  MONGODB_TIMEOUT_MS: variable(integer(100, 600_000)),
  SHUTDOWN_GRACE_MS: variable(integer(0, 600_000)),
  MONGODB_DB: variable(
    z.string().regex(/^[^/\\. "$*<>:|?]{1,63}$/, 'expected 1 to 63 characters, none of /\\. "$*<>:|?'),
  ),
  AUTH_JWKS_URL: variable(jwksUrl),
  AUTH_ISSUER: variable(text),
  AUTH_AUDIENCE: variable(text),
  DATA_DIR: variable(text),
  EMBEDDED_DB_DIR: variable(text.refine((value) => !value.includes('\0'), 'expected a directory path or :memory:')),
  SEED: variable(flag),
  LOG_LEVEL: variable(z.enum(LOG_LEVELS, `expected one of ${LOG_LEVELS.join(', ')}`)),
  GATEWAY_SECRET: variable(z.string().min(16, 'expected at least 16 characters')),
  METRICS_TOKEN: variable(
    z.string().regex(/^[\x21-\x7e]{16,}$/, 'expected at least 16 printable characters, no spaces'),
  ),
  MEMBERSHIP_CACHE_TTL_MS: variable(integer(0, 60_000)),
  EVENT_RETENTION_DAYS: variable(integer(1, 3650)),
  EXPORT_BUFFER_EVENTS: variable(integer(1, 1_000_000)),
  EVENT_SEQUENCER_LEASE_MS: variable(integer(300, 600_000)),
  BI_CACHE_MAX_AGE_SECONDS: variable(integer(0, 86_400)),
  EXPORT_LINK_MAX_TTL_SECONDS: variable(integer(1, 2_592_000)),
  PUBLIC_URL: variable(publicUrl),
  INTROSPECTION: variable(flag),
  NODE_ENV: variable(z.enum(NODE_ENVS, `expected one of ${NODE_ENVS.join(', ')}`)),
  TENANT_HOST_PATTERN: variable(
    z.string().transform((value, ctx) => {
      try {
        return new TenantHostPattern(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  ),
  PLANS: variable(json(PlansOverride)),
  AUTH_FAILURE_BURST: variable(integer(1, 1_000_000)),
  AUTH_FAILURE_RETRY_SECONDS: variable(integer(1, 3600)),
  TRUST_PROXY: variable(
    z.string().transform((value, ctx) => {
      try {
        return parseTrustProxy(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  ),
  RATE_LIMIT_SYNC_MS: variable(integer(10, 10_000)),
  USAGE_FLUSH_MS: variable(integer(10, 60_000)),
  EXECUTION_CONCURRENCY: variable(integer(1, 10_000)),
  EXECUTION_CONCURRENCY_MAX: variable(integer(1, 10_000)),
  JOB_LEASE_MS: variable(integer(300, 600_000)),
  JOB_POLL_MS: variable(integer(10, 60_000)),
  JOB_WORKERS: variable(integer(0, 64)),
  STAGING_STORE: variable(z.enum(['gridfs', 's3'], 'expected gridfs or s3')),
  STAGING_MAX_UPLOAD_BYTES: variable(integer(1, Number.MAX_SAFE_INTEGER)),
  VALET_URL_TTL_SECONDS: variable(integer(1, 604_800)),
  EXPORT_FILE_TTL_SECONDS: variable(integer(1, 2_592_000)),
  STAGING_SWEEP_MS: variable(integer(0, 86_400_000)),
  STAGING_UNFINISHED_GRACE_SECONDS: variable(integer(60, 2_592_000)),
  STAGING_S3_BUCKET: variable(text),
  STAGING_S3_ENDPOINT: variable(publicUrl),
  STAGING_S3_REGION: variable(text),
  STAGING_S3_FORCE_PATH_STYLE: variable(flag),
  STAGING_S3_ACCESS_KEY_ID: variable(text),
  STAGING_S3_SECRET_ACCESS_KEY: variable(text),
  ...TRACING_VARIABLES,
});

type Env = z.infer<typeof EnvSchema>;

/** Reads and validates the environment once, at start-up; throws a ConfigError on the first bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw toConfigError(parsed.error, env);
  const values = parsed.data;
  const nodeEnv = values.NODE_ENV ?? 'development';
  return {
    port: values.PORT ?? 4000,
    host: values.HOST ?? '127.0.0.1',
    mongodbUri: values.MONGODB_URI,
    mongodbDb: values.MONGODB_DB ?? 'tenantgraph',
    clusterUris: clusterUris(env),
    embeddedDbDir: values.EMBEDDED_DB_DIR ?? join(values.DATA_DIR ?? '.data', 'db'),
    mongodbTimeoutMs: values.MONGODB_TIMEOUT_MS ?? 5000,
    shutdownGraceMs: values.SHUTDOWN_GRACE_MS ?? 10_000,
    auth: authConfig(values),
    seed: values.SEED ?? values.MONGODB_URI === undefined,
    logLevel: values.LOG_LEVEL ?? 'info',
    gatewaySecret: values.GATEWAY_SECRET,
    metricsToken: values.METRICS_TOKEN,
    membershipCacheTtlMs: values.MEMBERSHIP_CACHE_TTL_MS ?? 5000,
    eventRetentionDays: values.EVENT_RETENTION_DAYS ?? 7,
    exportBufferEvents: values.EXPORT_BUFFER_EVENTS ?? 1000,
    eventSequencerLeaseMs: values.EVENT_SEQUENCER_LEASE_MS ?? 10_000,
    biCacheMaxAgeSeconds: values.BI_CACHE_MAX_AGE_SECONDS ?? 60,
    exportLinkMaxTtlSeconds: values.EXPORT_LINK_MAX_TTL_SECONDS ?? 86_400,
    publicUrl: values.PUBLIC_URL,
    introspection: values.INTROSPECTION ?? nodeEnv !== 'production',
    nodeEnv,
    tenantHostPattern: values.TENANT_HOST_PATTERN,
    plans: resolvePlans(values.PLANS),
    authFailures: { burst: values.AUTH_FAILURE_BURST ?? 20, retrySeconds: values.AUTH_FAILURE_RETRY_SECONDS ?? 5 },
    trustProxy: values.TRUST_PROXY ?? TRUST_NOBODY,
    rateLimitSyncMs: values.RATE_LIMIT_SYNC_MS ?? 250,
    usageFlushMs: values.USAGE_FLUSH_MS ?? 5000,
    executionConcurrency: values.EXECUTION_CONCURRENCY ?? 8,
    executionConcurrencyMax: values.EXECUTION_CONCURRENCY_MAX ?? 64,
    tracing: tracingConfig(values),
    staging: stagingConfig(values),
    jobs: {
      leaseMs: values.JOB_LEASE_MS ?? 30_000,
      pollMs: values.JOB_POLL_MS ?? 1000,
      workers: values.JOB_WORKERS ?? 2,
    },
  };
}

function stagingConfig(values: Env): StagingConfig {
  const limits = {
    maxUploadBytes: values.STAGING_MAX_UPLOAD_BYTES ?? 100 * 1024 * 1024,
    urlTtlSeconds: values.VALET_URL_TTL_SECONDS ?? 3600,
    exportFileTtlSeconds: values.EXPORT_FILE_TTL_SECONDS ?? 86_400,
    sweepMs: values.STAGING_SWEEP_MS ?? 60_000,
    unfinishedGraceSeconds: values.STAGING_UNFINISHED_GRACE_SECONDS ?? 86_400,
  };
  if (values.STAGING_STORE !== 's3') return { store: 'gridfs', ...limits };
  if (values.STAGING_S3_BUCKET === undefined)
    throw new ConfigError('STAGING_S3_BUCKET', 'required when STAGING_STORE=s3');
  const { STAGING_S3_ACCESS_KEY_ID: accessKeyId, STAGING_S3_SECRET_ACCESS_KEY: secretAccessKey } = values;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError(
      accessKeyId === undefined ? 'STAGING_S3_ACCESS_KEY_ID' : 'STAGING_S3_SECRET_ACCESS_KEY',
      'set both STAGING_S3_ACCESS_KEY_ID and STAGING_S3_SECRET_ACCESS_KEY, or neither for the AWS default credentials',
    );
  }
  return {
    store: 's3',
    ...limits,
    bucket: values.STAGING_S3_BUCKET,
    endpoint: values.STAGING_S3_ENDPOINT,
    region: values.STAGING_S3_REGION ?? 'us-east-1',
    forcePathStyle: values.STAGING_S3_FORCE_PATH_STYLE ?? values.STAGING_S3_ENDPOINT !== undefined,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  };
}

const CLUSTER_VARIABLE = /^MONGODB_URI_(.+)$/;
const MONGODB_URI = /^mongodb(\+srv)?:\/\/\S+$/;

/**
 * `MONGODB_URI_<NAME>`: another cluster a tenant may be placed on, by its name (`EU`, `ACME_DEDICATED`).
 * Only the name is ever stored (in the placement registry); the URI, a secret, stays in the environment.
 */
function clusterUris(env: NodeJS.ProcessEnv): Map<string, string> {
  const clusters = new Map<string, string>();
  for (const [variable, value] of Object.entries(env)) {
    const name = CLUSTER_VARIABLE.exec(variable)?.[1];
    if (name === undefined || value === undefined) continue;
    if (!/^[A-Z][A-Z0-9_]{0,31}$/.test(name)) {
      throw new ConfigError(variable, 'the cluster name must be upper-case letters, digits and _ (at most 32)');
    }
    if (!MONGODB_URI.test(value)) throw new ConfigError(variable, 'expected a mongodb:// or mongodb+srv:// URI');
    clusters.set(name, value);
  }
  return clusters;
}

function authConfig(values: Env): AuthConfig {
  const { AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience } = values;
  if (jwksUrl !== undefined && issuer !== undefined && audience !== undefined) {
    return { mode: 'oidc', jwksUrl, issuer, audience };
  }
  const missing = AUTH_VARIABLES.find((name) => values[name] === undefined);
  const given = AUTH_VARIABLES.find((name) => values[name] !== undefined);
  if (missing !== undefined && given !== undefined) {
    throw new ConfigError(
      missing,
      `required when ${given} is set (set all of ${AUTH_VARIABLES.join(', ')}, or none for dev-issuer mode)`,
    );
  }
  return { mode: 'dev', dataDir: values.DATA_DIR ?? '.data' };
}

function toConfigError(error: z.ZodError, env: NodeJS.ProcessEnv): ConfigError {
  const issue = error.issues[0];
  const name = String(issue?.path[0] ?? 'environment');
  const raw = env[name];
  const got = raw === undefined || SECRET_VARIABLES.has(name) ? '' : `, got ${JSON.stringify(raw)}`;
  return new ConfigError(name, `${issue?.message ?? 'invalid'}${got}`);
}

/**
 * The hosts of a MongoDB URI as `host:port` list, without credentials or options: what start-up
 * names when the database cannot be reached (the URI itself may hold a password).
 */
export function databaseHosts(uri: string): string {
  const afterScheme = uri.replace(/^mongodb(\+srv)?:\/\//, '');
  const authority = afterScheme.split(/[/?]/, 1)[0] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1);
}

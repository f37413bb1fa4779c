import { describe, expect, it } from 'vitest';
import { ConfigError, databaseHosts, loadConfig } from '../src/config.js';
import { TRUST_NOBODY } from '../src/limits/client-address.js';
import { DEFAULT_PLANS } from '../src/limits/plans.js';

const OIDC = {
  AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
  AUTH_ISSUER: 'https://idp.example.com/',
  AUTH_AUDIENCE: 'tenantgraph-api',
};

function errorFor(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  it('follows the contract with an empty environment', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      mongodbUri: undefined,
      mongodbDb: 'tenantgraph',
      clusterUris: new Map(),
      embeddedDbDir: '.data/db',
      mongodbTimeoutMs: 5000,
      shutdownGraceMs: 10_000,
      auth: { mode: 'dev', dataDir: '.data' },
      seed: true,
      logLevel: 'info',
      gatewaySecret: undefined,
      metricsToken: undefined,
      membershipCacheTtlMs: 5000,
      eventRetentionDays: 7,
      exportBufferEvents: 1000,
      eventSequencerLeaseMs: 10_000,
      biCacheMaxAgeSeconds: 60,
      exportLinkMaxTtlSeconds: 86_400,
      publicUrl: undefined,
      introspection: true,
      nodeEnv: 'development',
      plans: DEFAULT_PLANS,
      authFailures: { burst: 20, retrySeconds: 5 },
      trustProxy: TRUST_NOBODY,
      rateLimitSyncMs: 250,
      usageFlushMs: 5000,
      executionConcurrency: 8,
      executionConcurrencyMax: 64,
      tracing: null,
      staging: {
        store: 'gridfs',
        maxUploadBytes: 104_857_600,
        urlTtlSeconds: 3600,
        exportFileTtlSeconds: 86_400,
        sweepMs: 60_000,
        unfinishedGraceSeconds: 86_400,
      },
      jobs: { leaseMs: 30_000, pollMs: 1000, workers: 2 },
    });
  });

  it('stages in an S3-compatible bucket when asked, path-style with an endpoint, and needs the bucket', () => {
    expect(
      loadConfig({
        STAGING_STORE: 's3',
        STAGING_S3_BUCKET: 'staging',
        STAGING_S3_ENDPOINT: 'http://minio:9000',
        STAGING_S3_ACCESS_KEY_ID: 'key',
        STAGING_S3_SECRET_ACCESS_KEY: 'secret',
        STAGING_MAX_UPLOAD_BYTES: '1000',
      }).staging,
    ).toEqual({
      store: 's3',
      maxUploadBytes: 1000,
      urlTtlSeconds: 3600,
      exportFileTtlSeconds: 86_400,
      sweepMs: 60_000,
      unfinishedGraceSeconds: 86_400,
      bucket: 'staging',
      endpoint: 'http://minio:9000',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
    });
    expect(() => loadConfig({ STAGING_STORE: 's3' })).toThrow('STAGING_S3_BUCKET: required when STAGING_STORE=s3');
    expect(() =>
      loadConfig({ STAGING_STORE: 's3', STAGING_S3_BUCKET: 'b', STAGING_S3_SECRET_ACCESS_KEY: 'do-not-print' }),
    ).toThrow(/^STAGING_S3_ACCESS_KEY_ID: set both/);
    expect(() => loadConfig({ STAGING_STORE: 'ftp' })).toThrow('STAGING_STORE: expected gridfs or s3, got "ftp"');
  });

  it('reads the other clusters of MONGODB_URI_<NAME>, refusing a bad name or URI without printing the URI', () => {
    expect(loadConfig({ MONGODB_URI_EU: 'mongodb://eu1,eu2/?replicaSet=rs0' }).clusterUris).toEqual(
      new Map([['EU', 'mongodb://eu1,eu2/?replicaSet=rs0']]),
    );
    expect(errorFor({ MONGODB_URI_eu: 'mongodb://eu1/' }).message).toMatch(/^MONGODB_URI_eu: the cluster name/);
    const bad = errorFor({ MONGODB_URI_EU: 'postgres://user:hunter2@eu1/' });
    expect(bad.message).toBe('MONGODB_URI_EU: expected a mongodb:// or mongodb+srv:// URI');
  });

  it('traces when OTEL_EXPORTER_OTLP_ENDPOINT is set, without resolver spans unless asked', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' }).tracing).toEqual({
      serviceName: 'tenantgraph',
      resolverSpans: false,
    });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com',
        OTEL_SERVICE_NAME: 'tenantgraph-eu',
        TRACE_GRAPHQL_RESOLVERS: 'true',
      }).tracing,
    ).toEqual({ serviceName: 'tenantgraph-eu', resolverSpans: true });
    expect(loadConfig({ OTEL_SERVICE_NAME: 'tenantgraph-eu' }).tracing).toBeNull();
  });

  it('reads METRICS_TOKEN', () => {
    expect(loadConfig({ METRICS_TOKEN: 'scrape-token-0123456789' }).metricsToken).toBe('scrape-token-0123456789');
  });

  it('does not seed a real database unless asked', () => {
    expect(loadConfig({ MONGODB_URI: 'mongodb://db.internal:27017/?replicaSet=rs0' }).seed).toBe(false);
    expect(loadConfig({ MONGODB_URI: 'mongodb+srv://cluster.example.net', SEED: '1' }).seed).toBe(true);
    expect(loadConfig({ SEED: 'false' }).seed).toBe(false);
    expect(loadConfig({ SEED: '0' }).seed).toBe(false);
  });

  it('turns introspection off in production unless asked', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).introspection).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', INTROSPECTION: 'true' }).introspection).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test', INTROSPECTION: '0' }).introspection).toBe(false);
  });

  it('keeps the embedded database under DATA_DIR unless EMBEDDED_DB_DIR says where', () => {
    expect(loadConfig({ DATA_DIR: '/var/lib/tenantgraph' }).embeddedDbDir).toBe('/var/lib/tenantgraph/db');
    expect(loadConfig({ DATA_DIR: '/x', EMBEDDED_DB_DIR: '/srv/db' }).embeddedDbDir).toBe('/srv/db');
    expect(loadConfig({ EMBEDDED_DB_DIR: ':memory:' }).embeddedDbDir).toBe(':memory:');
    expect(errorFor({ EMBEDDED_DB_DIR: '   ' }).message).toMatch(/^EMBEDDED_DB_DIR: /);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      MONGODB_DB: 'tg_prod',
      DATA_DIR: '/var/lib/tenantgraph',
      LOG_LEVEL: 'debug',
      GATEWAY_SECRET: 'a-long-router-secret',
      MEMBERSHIP_CACHE_TTL_MS: '250',
      EVENT_RETENTION_DAYS: '30',
      EXPORT_BUFFER_EVENTS: '50',
      EVENT_SEQUENCER_LEASE_MS: '2000',
    });
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      mongodbDb: 'tg_prod',
      auth: { mode: 'dev', dataDir: '/var/lib/tenantgraph' },
      logLevel: 'debug',
      gatewaySecret: 'a-long-router-secret',
      membershipCacheTtlMs: 250,
      eventRetentionDays: 30,
      exportBufferEvents: 50,
      eventSequencerLeaseMs: 2000,
    });
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ PORT: '', MONGODB_URI: '', AUTH_ISSUER: '' })).toEqual(loadConfig({}));
  });
});

describe('loadConfig auth mode', () => {
  it('is oidc when all three AUTH_ variables are set', () => {
    expect(loadConfig(OIDC).auth).toEqual({
      mode: 'oidc',
      jwksUrl: OIDC.AUTH_JWKS_URL,
      issuer: OIDC.AUTH_ISSUER,
      audience: OIDC.AUTH_AUDIENCE,
    });
  });

  it.each(Object.keys(OIDC))('refuses the other two without %s', (left) => {
    const env: NodeJS.ProcessEnv = { ...OIDC, [left]: undefined };
    const error = errorFor(env);
    expect(error.variable).toBe(left);
    expect(error.message).toMatch(new RegExp(`^${left}: required when AUTH_\\w+ is set`));
  });

  it('refuses one AUTH_ variable alone', () => {
    expect(errorFor({ AUTH_AUDIENCE: 'x' }).message).toMatch(/^AUTH_JWKS_URL: required when AUTH_AUDIENCE is set/);
  });

  it('allows plain http for the JWKS on loopback only', () => {
    expect(loadConfig({ ...OIDC, AUTH_JWKS_URL: 'http://127.0.0.1:9999/jwks' }).auth.mode).toBe('oidc');
    expect(errorFor({ ...OIDC, AUTH_JWKS_URL: 'http://idp.example.com/jwks' }).variable).toBe('AUTH_JWKS_URL');
  });
});

describe('loadConfig refusals', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT: expected an integer from 0 to 65535, got "abc"'],
    [{ PORT: '65536' }, 'PORT: expected an integer from 0 to 65535, got "65536"'],
    [{ PORT: '-1' }, 'PORT: expected an integer from 0 to 65535, got "-1"'],
    [{ PORT: '80\n81' }, 'PORT: expected an integer from 0 to 65535, got "80\\n81"'],
    [{ HOST: '   ' }, 'HOST: expected a non-empty value, got "   "'],
    [{ MONGODB_DB: 'a.b' }, 'MONGODB_DB: expected 1 to 63 characters, none of /\\. "$*<>:|?, got "a.b"'],
    [
      { ...OIDC, AUTH_JWKS_URL: 'not a url' },
      'AUTH_JWKS_URL: expected an https:// URL (http:// only on localhost), got "not a url"',
    ],
    [{ SEED: 'yes' }, 'SEED: expected true, false, 1 or 0, got "yes"'],
    [
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    ],
    [{ MONGODB_TIMEOUT_MS: '0' }, 'MONGODB_TIMEOUT_MS: expected an integer from 100 to 600000, got "0"'],
    [{ MONGODB_TIMEOUT_MS: '5s' }, 'MONGODB_TIMEOUT_MS: expected an integer from 100 to 600000, got "5s"'],
    [{ SHUTDOWN_GRACE_MS: '-5' }, 'SHUTDOWN_GRACE_MS: expected an integer from 0 to 600000, got "-5"'],
    [{ MEMBERSHIP_CACHE_TTL_MS: '1.5' }, 'MEMBERSHIP_CACHE_TTL_MS: expected an integer from 0 to 60000, got "1.5"'],
    [
      { MEMBERSHIP_CACHE_TTL_MS: '3600000' },
      'MEMBERSHIP_CACHE_TTL_MS: expected an integer from 0 to 60000, got "3600000"',
    ],
    [{ EVENT_RETENTION_DAYS: '0' }, 'EVENT_RETENTION_DAYS: expected an integer from 1 to 3650, got "0"'],
    [{ EXPORT_BUFFER_EVENTS: '0' }, 'EXPORT_BUFFER_EVENTS: expected an integer from 1 to 1000000, got "0"'],
    [{ INTROSPECTION: 'on' }, 'INTROSPECTION: expected true, false, 1 or 0, got "on"'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV: expected one of development, test, production, got "staging"'],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
      'OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s):// URL, got "collector:4318"',
    ],
    [{ TRACE_GRAPHQL_RESOLVERS: 'yes' }, 'TRACE_GRAPHQL_RESOLVERS: expected true, false, 1 or 0, got "yes"'],
  ])('%j → %s', (env, message) => {
    const error = errorFor(env);
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('\n');
  });

  it('never echoes a secret value', () => {
    const uri = errorFor({ MONGODB_URI: 'postgres://admin:hunter2@db' });
    expect(uri.message).toBe('MONGODB_URI: expected a mongodb:// or mongodb+srv:// URI');
    const secret = errorFor({ GATEWAY_SECRET: 'hunter2' });
    expect(secret.message).toBe('GATEWAY_SECRET: expected at least 16 characters');
    const metrics = errorFor({ METRICS_TOKEN: 'hunter2 hunter2 hunter2' });
    expect(metrics.message).toBe('METRICS_TOKEN: expected at least 16 printable characters, no spaces');
  });

  it('reports the first bad variable when there are several', () => {
    expect(errorFor({ LOG_LEVEL: 'x', PORT: 'y' }).variable).toBe('PORT');
  });
});

describe('PLANS', () => {
  it('overrides the numbers it names and keeps the documented defaults of the others', () => {
    const { plans } = loadConfig({ PLANS: '{"free":{"restoreRate":100},"enterprise":{"maxCost":90000}}' });
    expect(plans.free).toEqual({ ...DEFAULT_PLANS.free, restoreRate: 100 });
    expect(plans.standard).toEqual(DEFAULT_PLANS.standard);
    expect(plans.enterprise.maxCost).toBe(90_000);
  });

  it.each([
    ['not JSON', '{free'],
    ['an unknown plan', '{"gold":{"maxCost":1}}'],
    ['an unknown limit', '{"free":{"speed":1}}'],
    ['a number that is not a positive integer', '{"free":{"bucketSize":0}}'],
  ])('refuses %s, naming PLANS', (_case, value) => {
    expect(errorFor({ PLANS: value }).variable).toBe('PLANS');
  });
});

describe('databaseHosts', () => {
  it('names the hosts of a URI, never its credentials or options', () => {
    expect(databaseHosts('mongodb://127.0.0.1:27017/?replicaSet=rs0')).toBe('127.0.0.1:27017');
    expect(databaseHosts('mongodb://app:s3cr%40t@db1:27017,db2:27018/tg?authSource=admin')).toBe('db1:27017,db2:27018');
    expect(databaseHosts('mongodb+srv://app:pw@cluster0.example.net')).toBe('cluster0.example.net');
  });
});

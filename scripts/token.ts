/**
 * Prints a signed JWT for a demo user, accepted by a server in dev-issuer mode with the same DATA_DIR:
 *   npm run -s token -- --user alice@example.com [--tenant texas] [--ttl 3600]
 * Only the token goes to stdout, so `TOKEN=$(npm run -s token -- --user …)` works.
 */
import { parseArgs } from 'node:util';
import { loadOrCreateDevIssuer } from '../src/auth/dev-issuer.js';
import { loadConfig } from '../src/config.js';

const USAGE = 'usage: npm run -s token -- --user <email> [--tenant <slug>] [--ttl <seconds>]';
const DEFAULT_TTL_SECONDS = 3600;

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(2);
}

function parse(): { user: string; tenant: string | undefined; ttl: number } {
  let values;
  try {
    ({ values } = parseArgs({
      options: { user: { type: 'string' }, tenant: { type: 'string' }, ttl: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const { user, tenant, ttl } = values;
  if (user === undefined) fail(`--user is required (${USAGE})`);
  if (!/^[^\s@]+@[^\s@]+$/.test(user)) fail(`--user expects an email, got ${JSON.stringify(user)}`);
  if (tenant === '') fail('--tenant needs a tenant slug');
  if (ttl !== undefined && !/^[1-9]\d{0,8}$/.test(ttl))
    fail(`--ttl expects a positive number of seconds, got ${JSON.stringify(ttl)}`);
  return { user, tenant, ttl: ttl === undefined ? DEFAULT_TTL_SECONDS : Number(ttl) };
}

function devDataDir(): string {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    fail((error as Error).message);
  }
  if (config.auth.mode !== 'dev') fail('AUTH_* is set: the server trusts an identity provider, not dev tokens');
  return config.auth.dataDir;
}

const { user, tenant, ttl } = parse();
const issuer = await loadOrCreateDevIssuer(devDataDir());
const claims = tenant === undefined ? { subject: user, email: user } : { subject: user, email: user, tenant };
process.stdout.write(`${await issuer.sign(claims, ttl)}\n`);

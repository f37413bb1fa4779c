import { parseArgs } from 'node:util';
import { loadOrCreateDevIssuer } from '../src/auth/dev-issuer.js';
import { loadConfig, type Config } from '../src/config.js';
import { connectDatabase } from '../src/data/database.js';
import { collections } from '../src/modules/application.js';
import { DEMO_USERS } from '../src/seed/demo-identities.js';
import type { UserDocument } from '../src/tenancy/identity-documents.js';

export const USAGE = 'usage: npm run -s token -- --user <email> [--tenant <slug>] [--ttl <seconds>]';
const DEFAULT_TTL_SECONDS = 3600;

/** What `npm run token` prints: the token on stdout, or one line on stderr (exit code 2). */
export type TokenOutcome = { token: string } | { refusal: string };

interface TokenRequest {
  user: string;
  tenant: string | undefined;
  ttl: number;
}

class Refusal extends Error {}

function parse(args: string[]): TokenRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { user: { type: 'string' }, tenant: { type: 'string' }, ttl: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new Refusal((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const { user, tenant, ttl } = values;
  if (user === undefined) throw new Refusal(`--user is required (${USAGE})`);
  if (!/^[^\s@]+@[^\s@]+$/.test(user)) throw new Refusal(`--user expects an email, got ${JSON.stringify(user)}`);
  if (tenant === '') throw new Refusal('--tenant needs a tenant slug');
  if (ttl !== undefined && !/^[1-9]\d{0,8}$/.test(ttl))
    throw new Refusal(`--ttl expects a positive number of seconds, got ${JSON.stringify(ttl)}`);
  return { user, tenant, ttl: ttl === undefined ? DEFAULT_TTL_SECONDS : Number(ttl) };
}

function devConfig(env: NodeJS.ProcessEnv): Config & { auth: { mode: 'dev' } } {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    throw new Refusal((error as Error).message);
  }
  if (config.auth.mode !== 'dev') {
    throw new Refusal('an identity provider is configured (AUTH_*): get tokens from it; dev tokens would be refused');
  }
  return config as Config & { auth: { mode: 'dev' } };
}

/**
 * A user the server would recognise: a demo user (seeded with the embedded default), or, with
 * MONGODB_URI set, a user stored in that database. Dev tokens use the email as `sub`.
 */
async function isKnownUser(email: string, config: Config): Promise<boolean> {
  if (DEMO_USERS.some((user) => user.email === email)) return true;
  if (config.mongodbUri === undefined) return false;
  let database;
  try {
    database = await connectDatabase({ uri: config.mongodbUri, dbName: config.mongodbDb, collections });
    return (await database.platform.collection<UserDocument>('users').findOne({ subject: email })) !== null;
  } catch (error) {
    throw new Refusal(`cannot look ${email} up in MONGODB_URI's database: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    await database?.close();
  }
}

/** `npm run token` without the process around it: arguments and environment in, a token or a refusal out. */
export async function tokenCommand(args: string[], env: NodeJS.ProcessEnv): Promise<TokenOutcome> {
  try {
    const { user, tenant, ttl } = parse(args);
    const config = devConfig(env);
    if (!(await isKnownUser(user, config))) {
      const where =
        config.mongodbUri === undefined ? 'the demo users' : `the demo users or database ${config.mongodbDb}`;
      throw new Refusal(`unknown user ${user}: not one of ${where}`);
    }
    const issuer = await loadOrCreateDevIssuer(config.auth.dataDir);
    const claims = { subject: user, email: user, ...(tenant === undefined ? {} : { tenant }) };
    return { token: await issuer.sign(claims, ttl) };
  } catch (error) {
    if (error instanceof Refusal) return { refusal: error.message };
    throw error;
  }
}

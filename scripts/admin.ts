/**
 * The operator command line: the operations of `POST /admin/graphql`, run against the database
 * directly, and recorded in the same audit log (as `cli:<os user>`).
 *   npm run -s admin -- <command> [arguments]      (see USAGE)
 * The database is MONGODB_URI's (with MONGODB_DB), else the embedded default of DATA_DIR: the one a
 * running `npm start` holds (its address is read from the directory's lock), or, when none runs, the
 * directory opened here for the duration of the command. Each result is one JSON line on stdout.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { IN_MEMORY, runningServerUri, startEmbeddedMongo } from '@tenantgraph/embedded-mongo';
import { OperatorConsole } from '../src/admin/operator-console.js';
import { LinkSecrets } from '../src/bi/link-secrets.js';
import { type Config, loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/data/database.js';
import { isAppError } from '../src/errors.js';
import { usageHours } from '../src/limits/usage-query.js';
import { collections } from '../src/modules/application.js';
import { createStaging } from '../src/staging/index.js';

const USAGE = `usage: npm run -s admin -- <command>
  operator grant <email> | operator revoke <email> | operator list
  tenant list | tenant show <slug>
  tenant create <slug> <name> [--plan free|standard|enterprise]
  tenant suspend <slug> --reason <text> | tenant resume <slug>
  tenant plan <slug> <free|standard|enterprise>
  tenant usage <slug> --from <ISO date-time> [--to <ISO date-time>]   (per hour, at most 31 days; --to: now)
  tenant purge <slug> --confirm <slug>   (a suspended tenant only)
  tenant move <slug> [--database <name>] [--cluster <NAME>]   (neither: the shared database)
  tenant export <slug> --out <file.tar>   (the archive, written to a local file)
  tenant export <slug> [--ttl <seconds>]   (a download link from the server at PUBLIC_URL)
  invite <tenant-slug> <email> <ROLE[,ROLE…]>
  audit [--tenant <slug>] [--first <n>]`;

function fail(message: string, code = 2): never {
  process.stderr.write(`admin: ${message}\n`);
  process.exit(code);
}

function parse() {
  try {
    return parseArgs({
      options: {
        plan: { type: 'string' },
        reason: { type: 'string' },
        tenant: { type: 'string' },
        first: { type: 'string' },
        confirm: { type: 'string' },
        database: { type: 'string' },
        cluster: { type: 'string' },
        out: { type: 'string' },
        ttl: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    fail(`${(error as Error).message.split('\n')[0]}\n${USAGE}`);
  }
}

type Operation = (operations: OperatorConsole, actor: string) => Promise<unknown>;

/** The operation the arguments name, or a usage error before anything connects. */
function operationOf(
  { positionals: [group, verb, ...rest], values }: ReturnType<typeof parse>,
  config: Config,
): Operation {
  const args = (count: number): string[] => {
    if (rest.length !== count) fail(`${group} ${verb ?? ''} takes ${count} argument(s)\n${USAGE}`);
    return rest;
  };
  switch (`${group} ${verb}`) {
    case 'operator grant':
    case 'operator revoke': {
      const [email] = args(1);
      return (ops, actor) =>
        ops.setOperator(actor, email!, verb === 'grant').then((u) => ({ email: u.email, operator: verb === 'grant' }));
    }
    case 'operator list':
      args(0);
      return (ops) => ops.listOperators().then((users) => users.map((user) => user.email));
    case 'tenant list':
      args(0);
      return (ops) => ops.listTenants();
    case 'tenant show': {
      const [slug] = args(1);
      return (ops) => ops.tenant(slug!);
    }
    case 'tenant create': {
      const [slug, name] = args(2);
      return (ops, actor) => ops.createTenant(actor, { slug: slug!, name: name!, plan: values.plan ?? 'standard' });
    }
    case 'tenant suspend': {
      const [slug] = args(1);
      if (values.reason === undefined) fail('tenant suspend needs --reason <text>');
      return (ops, actor) => ops.suspendTenant(actor, slug!, values.reason!);
    }
    case 'tenant resume': {
      const [slug] = args(1);
      return (ops, actor) => ops.resumeTenant(actor, slug!);
    }
    case 'tenant purge': {
      const [slug] = args(1);
      if (values.confirm === undefined) fail('tenant purge needs --confirm <the same slug>');
      return (ops, actor) => ops.purgeTenant(actor, slug!, values.confirm!);
    }
    case 'tenant move': {
      const [slug] = args(1);
      return (ops, actor) =>
        ops
          .moveTenant(actor, slug!, { database: values.database ?? null, cluster: values.cluster ?? null })
          .then(({ tenant, ...move }) => ({ tenant: tenant.slug, ...move }));
    }
    case 'tenant export': {
      const [slug] = args(1);
      const out = values.out;
      if (out !== undefined) {
        if (values.ttl !== undefined) fail('tenant export takes --out <file> or --ttl <seconds>, not both');
        const file = resolve(out);
        return (ops, actor) =>
          ops
            .exportTenantTo(actor, slug!, (archive) =>
              pipeline(archive, createWriteStream(file)).catch(async (error: unknown) => {
                await rm(file, { force: true });
                throw error;
              }),
            )
            .then(({ manifest }) => ({ tenant: slug, file, files: manifest.files }));
      }
      if (config.publicUrl === undefined) {
        fail('tenant export needs --out <file>, or PUBLIC_URL (the server that serves the download link)');
      }
      const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
      return (ops, actor) =>
        ops
          .exportTenant(actor, slug!, ttl)
          .then(({ url, expiresAt, manifest }) => ({ tenant: slug, url, expiresAt, files: manifest.files }));
    }
    case 'tenant usage': {
      const [slug] = args(1);
      if (values.from === undefined) fail('tenant usage needs --from <ISO date-time>');
      const to = values.to === undefined ? new Date() : new Date(values.to);
      return (ops) => ops.usage(slug!, new Date(values.from!), to).then(usageHours);
    }
    case 'tenant plan': {
      const [slug, plan] = args(2);
      return (ops, actor) => ops.setTenantPlan(actor, slug!, plan!);
    }
    default:
      if (group === 'invite') {
        const [tenant, email, roles] = [verb, ...rest];
        if (tenant === undefined || email === undefined || roles === undefined || rest.length !== 2)
          fail(`invite takes <tenant-slug> <email> <ROLE[,ROLE…]>\n${USAGE}`);
        return (ops, actor) => ops.inviteMember(actor, { tenant, email, roles: roles.split(',') });
      }
      if (group === 'audit' && verb === undefined) {
        const first = values.first === undefined ? undefined : Number(values.first);
        return (ops) => ops.auditLog({ tenant: values.tenant ?? null, first });
      }
      fail(USAGE);
  }
}

/** The database to act on, and what to stop afterwards. */
async function databaseUri(config: Config): Promise<{ uri: string; stop: () => Promise<void> }> {
  if (config.mongodbUri !== undefined) return { uri: config.mongodbUri, stop: async () => {} };
  if (config.embeddedDbDir === IN_MEMORY) fail('EMBEDDED_DB_DIR=:memory: keeps nothing to administer; set MONGODB_URI');
  const running = await runningServerUri(config.embeddedDbDir);
  if (running !== undefined) return { uri: running, stop: async () => {} };
  const opened = await startEmbeddedMongo({ dir: config.embeddedDbDir });
  return { uri: opened.uri, stop: opened.stop };
}

const parsed = parse();
let config: Config;
try {
  config = loadConfig();
} catch (error) {
  fail((error as Error).message);
}
const operation = operationOf(parsed, config);
const target = await databaseUri(config);
const database = await connectDatabase({
  uri: target.uri,
  dbName: config.mongodbDb,
  collections,
  clusters: config.clusterUris,
});
try {
  await database.ensureIndexes();
  // The server's staging store (GridFS of this database, or the configured S3-compatible bucket): an
  // export is built there, and its link is served by the server at PUBLIC_URL.
  const staging = await createStaging(config.staging, database, new LinkSecrets(database), () => config.publicUrl!);
  const result = await operation(new OperatorConsole(database, collections, { staging }), `cli:${userInfo().username}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`admin: ${isAppError(error) ? error.message : String(error)}\n`);
} finally {
  await database.close();
  await target.stop();
}

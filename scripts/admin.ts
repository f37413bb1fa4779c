/**
 * The operator command line: the operations of `POST /admin/graphql`, run against the database
 * directly, and recorded in the same audit log (as `cli:<os user>`).
 *   npm run -s admin -- <command> [arguments]      (see USAGE)
 * The database is MONGODB_URI's (with MONGODB_DB), else the embedded default of DATA_DIR: the one a
 * running `npm start` holds (its address is read from the directory's lock), or, when none runs, the
 * directory opened here for the duration of the command. Each result is one JSON line on stdout.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { IN_MEMORY, runningServerUri, startEmbeddedMongo } from '@tenantgraph/embedded-mongo';
import { OperatorConsole } from '../src/admin/operator-console.js';
import { type Config, loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/data/database.js';
import { isAppError } from '../src/errors.js';
import { collections } from '../src/modules/application.js';

const USAGE = `usage: npm run -s admin -- <command>
  operator grant <email> | operator revoke <email> | operator list
  tenant list | tenant show <slug>
  tenant create <slug> <name> [--plan free|standard|enterprise]
  tenant suspend <slug> --reason <text> | tenant resume <slug>
  tenant plan <slug> <free|standard|enterprise>
  tenant purge <slug> --confirm <slug>   (a suspended tenant only)
  tenant move <slug> [--database <name>] [--cluster <NAME>]   (neither: the shared database)
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
function operationOf({ positionals: [group, verb, ...rest], values }: ReturnType<typeof parse>): Operation {
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

const operation = operationOf(parse());
let config: Config;
try {
  config = loadConfig();
} catch (error) {
  fail((error as Error).message);
}
const target = await databaseUri(config);
const database = await connectDatabase({
  uri: target.uri,
  dbName: config.mongodbDb,
  collections,
  clusters: config.clusterUris,
});
try {
  await database.ensureIndexes();
  const result = await operation(new OperatorConsole(database, collections), `cli:${userInfo().username}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`admin: ${isAppError(error) ? error.message : String(error)}\n`);
} finally {
  await database.close();
  await target.stop();
}

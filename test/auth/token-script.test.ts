import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { createJwtVerifier } from '../../src/auth/jwt-verifier.js';
import { connectDatabase } from '../../src/data/database.js';
import { collections } from '../../src/modules/application.js';
import { tokenCommand, type TokenOutcome } from '../../scripts/token-command.js';
import { startTestMongo, uniqueDbName, type TestMongo } from '../support/mongo.js';

/**
 * `npm run token`: the command runs in-process (arguments and environment in, token or refusal out);
 * one spawned run checks the script around it (stdout holds only the token, a refusal is one line on
 * stderr with exit code 2).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let dataDir: string;
let mongo: TestMongo;

beforeAll(async () => {
  [dataDir, mongo] = await Promise.all([mkdtemp(join(tmpdir(), 'tenantgraph-token-')), startTestMongo()]);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await mongo?.stop();
});

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => tokenCommand(args, { DATA_DIR: dataDir, ...env });

function tokenOf(outcome: TokenOutcome): string {
  if (!('token' in outcome)) throw new Error(`refused: ${outcome.refusal}`);
  return outcome.token;
}

describe('the token command', () => {
  it('signs a JWT that the dev issuer of the same DATA_DIR accepts', async () => {
    const token = tokenOf(await run(['--user', 'alice@example.com', '--tenant', 'texas', '--ttl', '600']));
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const verifier = createJwtVerifier({ keys: issuer.keys, issuer: issuer.issuer, audience: issuer.audience });
    expect(await verifier.verify(token)).toMatchObject({
      subject: 'alice@example.com',
      email: 'alice@example.com',
      tenant: 'texas',
    });
    const { iat, exp } = decodeJwt(token);
    expect((exp ?? 0) - (iat ?? 0)).toBe(600);
  });

  it('defaults to a one-hour token without a tenant', async () => {
    const claims = decodeJwt(tokenOf(await run(['--user', 'bob@example.com'])));
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    expect(claims).not.toHaveProperty('tenant');
  });

  it.each([
    [[], /^--user is required \(usage: /],
    [['--user', 'not-an-email'], /^--user expects an email, got "not-an-email"/],
    [['--user', 'alice@example.com', '--ttl', 'soon'], /^--ttl expects a positive number of seconds, got "soon"/],
    [['--user', 'alice@example.com', '--ttl', '0'], /^--ttl expects a positive number of seconds/],
    [['--user', 'alice@example.com', '--ttl', '-5'], /./],
    [['--user', 'alice@example.com', '--tenant', ''], /^--tenant needs a tenant slug/],
    [['--user', 'alice@example.com', '--role', 'ADMIN'], /^Unknown option '--role'/],
    [['--user', 'alice@example.com', 'extra'], /^Unexpected argument 'extra'/],
  ])('refuses %j with one line', async (args, message) => {
    const outcome = await run(args);
    expect(outcome).toEqual({ refusal: expect.stringMatching(message) });
    expect((outcome as { refusal: string }).refusal).not.toContain('\n');
  });

  it('refuses a user who is not a demo user', async () => {
    expect(await run(['--user', 'eve@example.com'])).toEqual({
      refusal: 'unknown user eve@example.com: not one of the demo users',
    });
    expect(await run(['--user', 'Alice@example.com'])).toHaveProperty('refusal');
  });

  it('refuses an invalid environment with the variable’s one-line message', async () => {
    expect(await run(['--user', 'alice@example.com'], { PORT: 'x' })).toEqual({
      refusal: expect.stringMatching(/^PORT: expected an integer/),
    });
  });

  it('refuses to run when an identity provider is configured', async () => {
    const outcome = await run(['--user', 'alice@example.com'], {
      AUTH_JWKS_URL: 'https://idp.example.com/jwks',
      AUTH_ISSUER: 'https://idp.example.com/',
      AUTH_AUDIENCE: 'api',
    });
    expect(outcome).toEqual({ refusal: expect.stringMatching(/^an identity provider is configured \(AUTH_\*\)/) });
  });

  it('with MONGODB_URI, also knows the users stored in that database, and only them', async () => {
    const env = { MONGODB_URI: mongo.uri, MONGODB_DB: uniqueDbName('token') };
    const database = await connectDatabase({ uri: env.MONGODB_URI, dbName: env.MONGODB_DB, collections });
    await database.platform.collection('users').insertOne({
      _id: 'a1b2c3d4e5f6a1b2c3d4e5f6',
      subject: 'new.member@example.com',
      email: 'new.member@example.com',
      activeTenantId: null,
      createdAt: new Date(),
    });
    await database.close();
    expect(decodeJwt(tokenOf(await run(['--user', 'new.member@example.com'], env))).sub).toBe('new.member@example.com');
    expect(tokenOf(await run(['--user', 'carol@example.com'], env))).toMatch(/^eyJ/);
    expect(await run(['--user', 'eve@example.com'], env)).toEqual({
      refusal: `unknown user eve@example.com: not one of the demo users or database ${env.MONGODB_DB}`,
    });
  });
  it('refuses with one line when that database does not answer', async () => {
    const env = { MONGODB_URI: 'mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&directConnection=true' };
    const outcome = await run(['--user', 'new.member@example.com'], env);
    expect(outcome).toEqual({
      refusal: expect.stringMatching(/^cannot look new\.member@example\.com up in MONGODB_URI's database: /),
    });
    expect((outcome as { refusal: string }).refusal).not.toContain('\n');
  });
});

describe('scripts/token.ts', () => {
  const script = (args: string[]) => {
    const { AUTH_JWKS_URL: _url, AUTH_ISSUER: _issuer, AUTH_AUDIENCE: _audience, ...inherited } = process.env;
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'scripts/token.ts', ...args],
        { cwd: ROOT, env: { ...inherited, DATA_DIR: dataDir } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
  };

  it('prints only the token, or one line on stderr with exit code 2', async () => {
    const [signed, refused] = await Promise.all([
      script(['--user', 'alice@example.com']),
      script(['--user', 'eve@example.com']),
    ]);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect([refused.code, refused.stdout, refused.stderr]).toEqual([
      2,
      '',
      'token: unknown user eve@example.com: not one of the demo users\n',
    ]);
  });
});

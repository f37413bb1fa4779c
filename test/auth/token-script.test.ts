import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../src/auth/dev-issuer.js';
import { createJwtVerifier } from '../../src/auth/jwt-verifier.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  /** The script's own stderr lines (npx may add warnings of its own). */
  messages: string[];
}

let dataDir: string;

function token(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const { AUTH_JWKS_URL: _url, AUTH_ISSUER: _issuer, AUTH_AUDIENCE: _audience, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'scripts/token.ts', ...args],
      { cwd: ROOT, env: { ...inherited, DATA_DIR: dataDir, ...env } },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number(error.code) : 0,
          stdout,
          messages: stderr.split('\n').filter((line) => line.startsWith('token: ')),
        }),
    );
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tenantgraph-token-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe.concurrent('scripts/token.ts', () => {
  it('prints only a JWT that the dev issuer of the same DATA_DIR accepts', async () => {
    const { code, stdout } = await token(['--user', 'alice@example.com', '--tenant', 'texas', '--ttl', '600']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const issuer = await loadOrCreateDevIssuer(dataDir);
    const verifier = createJwtVerifier({ keys: issuer.keys, issuer: issuer.issuer, audience: issuer.audience });
    const verified = await verifier.verify(stdout.trim());
    expect(verified).toMatchObject({ subject: 'alice@example.com', email: 'alice@example.com', tenant: 'texas' });
    const { iat, exp } = decodeJwt(stdout.trim());
    expect((exp ?? 0) - (iat ?? 0)).toBe(600);
  });

  it('defaults to a one-hour token without a tenant', async () => {
    const { code, stdout } = await token(['--user', 'bob@example.com']);
    expect(code).toBe(0);
    const claims = decodeJwt(stdout.trim());
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    expect(claims).not.toHaveProperty('tenant');
  });

  it.each([
    [[], /^token: --user is required \(usage: /],
    [['--user', 'not-an-email'], /^token: --user expects an email, got "not-an-email"/],
    [['--user', 'a@example.com', '--ttl', 'soon'], /^token: --ttl expects a positive number of seconds, got "soon"/],
    [['--user', 'a@example.com', '--ttl', '0'], /^token: --ttl expects a positive number of seconds/],
    [['--user', 'a@example.com', '--ttl', '-5'], /^token: /],
    [['--user', 'a@example.com', '--role', 'ADMIN'], /^token: Unknown option '--role'/],
  ])('exits 2 with one line for %j', async (args, message) => {
    const { code, stdout, messages } = await token(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(messages).toEqual([expect.stringMatching(message)]);
  });

  it('exits 2 when the environment is invalid or names an identity provider', async () => {
    const bad = await token(['--user', 'a@example.com'], { PORT: 'x' });
    expect([bad.code, bad.messages]).toEqual([2, [expect.stringMatching(/^token: PORT: expected an integer/)]]);
    const oidc = await token(['--user', 'a@example.com'], {
      AUTH_JWKS_URL: 'https://idp.example.com/jwks',
      AUTH_ISSUER: 'https://idp.example.com/',
      AUTH_AUDIENCE: 'api',
    });
    expect([oidc.code, oidc.messages]).toEqual([2, [expect.stringMatching(/^token: AUTH_\* is set/)]]);
  });
});

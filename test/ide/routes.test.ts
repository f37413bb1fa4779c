import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestServer, type TestServer } from '../support/server.js';
import { seedId } from '../../src/seed/seed.js';

/**
 * The development IDE's HTTP side: the page for browsers only, `/` redirecting to it, and the dev
 * token endpoint, which signs tokens for seeded demo users only and exists only in development with
 * the dev issuer. Production has none of it.
 */
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const ISSUER_ENV = {
  AUTH_JWKS_URL: 'https://idp.invalid/jwks.json',
  AUTH_ISSUER: 'https://idp.invalid/',
  AUTH_AUDIENCE: 'tenantgraph',
};

let dev: TestServer;
let production: TestServer;
let oidc: TestServer;

beforeAll(async () => {
  [dev, production, oidc] = await Promise.all([
    startTestServer(),
    startTestServer({ NODE_ENV: 'production' }),
    startTestServer(ISSUER_ENV),
  ]);
});
afterAll(() => Promise.all([dev?.stop(), production?.stop(), oidc?.stop()]));

const requestToken = (server: TestServer, body: unknown) =>
  fetch(`${server.url}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('in development', () => {
  it('serves the IDE to a browser at GET /graphql, with every asset from this server', async () => {
    const response = await fetch(`${dev.url}/graphql`, { headers: { accept: HTML } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toContain('<script src="ide/ide.js"></script>');
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('leaves GraphQL clients alone: JSON for any other Accept', async () => {
    for (const accept of ['application/json', '*/*', 'application/graphql-response+json']) {
      const response = await fetch(`${dev.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
        headers: { accept },
      });
      expect(response.status).toBe(401);
      expect(codes((await response.json()) as never)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('redirects / to the IDE', async () => {
    const response = await fetch(`${dev.url}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get('location')!, `${dev.url}/`).pathname).toBe('/graphql');
  });

  it('serves the bundled script and editor workers, and nothing else under /ide/', async () => {
    for (const name of ['ide.js', 'ide.css', 'editor.worker.js', 'json.worker.js', 'graphql.worker.js']) {
      const response = await fetch(`${dev.url}/ide/${name}`);
      expect([name, response.status]).toEqual([name, 200]);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
    expect((await fetch(`${dev.url}/ide/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${dev.url}/ide/missing.js`)).status).toBe(404);
  }, 60_000);

  it('signs a token for a demo user that the API accepts', async () => {
    const response = await requestToken(dev, { email: 'alice@example.com' });
    expect(response.status).toBe(200);
    const { token, expiresAt } = (await response.json()) as { token: string; expiresAt: string };
    expect(decodeJwt(token)).toMatchObject({ sub: 'alice@example.com', email: 'alice@example.com' });
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const viewer = await dev.gql('{ viewer { user { email } tenant { slug } } }', { auth: token });
    expect(viewer.data).toEqual({ viewer: { user: { email: 'alice@example.com' }, tenant: { slug: 'texas' } } });
  });

  it.each([
    [{ email: 'eve@example.com' }],
    [{ email: 'ALICE@example.com' }],
    [{ email: ['alice@example.com'] }],
    [{ subject: 'alice@example.com' }],
    [{}],
  ])('refuses anyone who is not a seeded demo user: %j', async (body) => {
    const response = await requestToken(dev, body);
    expect(response.status).toBe(404);
    const answer = (await response.json()) as Record<string, unknown>;
    expect(answer).not.toHaveProperty('token');
    expect(answer.error).toMatch(/^not a seeded demo user/);
  });

  it('refuses a demo user whose record is not in the database', async () => {
    await dev.app.services.database.platform.collection('users').deleteOne({ subject: 'mallory@example.com' });
    dev.app.services.identity.forgetUser({
      subject: 'mallory@example.com',
      userId: seedId('user:mallory@example.com'),
    });
    const response = await requestToken(dev, { email: 'mallory@example.com' });
    expect(response.status).toBe(404);
  });
});

describe('in development with an identity provider', () => {
  it('serves the IDE without the sign-in control', async () => {
    const page = await (await fetch(`${oidc.url}/graphql`, { headers: { accept: HTML } })).text();
    expect(page).toContain('"tokenUrl":null');
    expect(page).toContain('"demoUsers":[]');
  });

  it('has no token endpoint', async () => {
    const response = await requestToken(oidc, { email: 'alice@example.com' });
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('eyJ');
  });
});

describe('in production', () => {
  it('answers a browser at /graphql with GraphQL, not an IDE', async () => {
    const response = await fetch(`${production.url}/graphql`, { headers: { accept: HTML } });
    expect(response.headers.get('content-type')).not.toMatch(/html/);
    expect(await response.text()).not.toContain('<script');
  });

  it('has no IDE assets, no redirect and no token endpoint, even in dev-issuer mode', async () => {
    expect((await fetch(`${production.url}/ide/ide.js`)).status).toBe(404);
    expect((await fetch(`${production.url}/`, { redirect: 'manual' })).status).toBe(404);
    const response = await requestToken(production, { email: 'alice@example.com' });
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('eyJ');
  });
});

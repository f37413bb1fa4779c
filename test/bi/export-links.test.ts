import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedId } from '../../src/seed/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { parseCsv } from './csv.js';
import { codesOf, createApiKey, createPark } from './support.js';

const ALICE = 'alice@example.com'; // texas admin
const ERIN = 'erin@example.com'; // texas analyst
const DAVE = 'dave@example.com'; // texas viewer
const CAROL = 'carol@example.com'; // colorado admin, analyst

const TEXAS = seedId('tenant:texas');
const COLORADO = seedId('tenant:colorado');
const MAX_TTL = 3600;

const CREATE = `mutation ($operationName: String!, $variables: JSON, $format: ExportFormat!, $ttlSeconds: Int!) {
  createExportLink(operationName: $operationName, variables: $variables, format: $format, ttlSeconds: $ttlSeconds) { url expiresAt }
}`;

interface Link {
  url: string;
  expiresAt: string;
}

let server: TestServer;

async function createLink(
  email: string,
  args: { operationName: string; variables?: unknown; format?: 'CSV' | 'NDJSON'; ttlSeconds?: number },
): Promise<Link> {
  const response = await server.as<{ createExportLink: Link }>(email, CREATE, {
    variables: { format: 'CSV', ttlSeconds: 600, ...args },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.createExportLink;
}

/** What a BI tool does with a link: a plain GET, no credentials at all. */
const open = (url: string) => fetch(url);

async function expectRefused(url: string): Promise<void> {
  const response = await open(url);
  expect(response.status).toBe(403);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const text = await response.text();
  expect(JSON.parse(text)).toEqual({
    errors: [{ message: 'This link is not valid', extensions: { code: 'FORBIDDEN' } }],
  });
}

/** The pieces of a link URL: `<base>/bi/links/<claims>.<mac>.<ext>`. */
function partsOf(url: string) {
  const match = /^(.*\/bi\/links\/)([\w-]+)\.([\w-]+)\.(csv|ndjson)$/.exec(url);
  if (!match) throw new Error(`not a link: ${url}`);
  const [, base, payload, mac, extension] = match as unknown as [string, string, string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { base, payload, mac, extension, claims };
}

const encode = (claims: Record<string, unknown>) => Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');

/** A tenant's link secret, read around the API as only an attacker with database access could. */
async function secretOf(tenantId: string): Promise<string> {
  const stored = await server.app.services.database.forTenant(tenantId).collection('exportLinkSecrets').findOne({});
  return stored!.secret as string;
}

const sign = (secret: string, payload: string) =>
  createHmac('sha256', Buffer.from(secret, 'base64url'))
    .update(`tenantgraph export link v1\n${payload}`)
    .digest('base64url');

const namesIn = (csv: string) =>
  parseCsv(csv)
    .slice(1)
    .map((row) => row[1]);

beforeAll(async () => {
  server = await startTestServer({ EXPORT_LINK_MAX_TTL_SECONDS: String(MAX_TTL) });
  await createPark(server, CAROL, { name: 'Colorado Only, "Secret" Park', capacity: 7 });
});

afterAll(async () => {
  await server?.stop();
});

describe('createExportLink', () => {
  it('returns a URL on this server and its expiry; the URL alone returns the rows', async () => {
    const before = Date.now();
    const link = await createLink(ALICE, { operationName: 'ParksWithCapacity', ttlSeconds: 600 });
    expect(link.url.startsWith(`${server.url}/bi/links/`)).toBe(true);
    const expiresAt = Date.parse(link.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);

    const response = await open(link.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const key = await createApiKey(server, ALICE, { roles: ['ANALYST'] });
    const direct = await fetch(`${server.url}/bi/ParksWithCapacity.csv`, { headers: { 'x-api-key': key } });
    expect(await response.text()).toBe(await direct.text());
  });

  it('binds variables and format: NDJSON of reservations in a range', async () => {
    const link = await createLink(ERIN, {
      operationName: 'ReservationsInRange',
      variables: { from: '2026-04-01', to: '2026-05-31' },
      format: 'NDJSON',
    });
    expect(link.url.endsWith('.ndjson')).toBe(true);
    const response = await open(link.url);
    expect(response.status).toBe(200);
    const rows = (await response.text())
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { date: string });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.date >= '2026-04-01' && row.date <= '2026-05-31').toBe(true);
  });

  it.each([
    ['a lifetime over EXPORT_LINK_MAX_TTL_SECONDS', { operationName: 'ParksWithCapacity', ttlSeconds: MAX_TTL + 1 }],
    ['no lifetime', { operationName: 'ParksWithCapacity', ttlSeconds: 0 }],
    ['an unknown operation', { operationName: 'NoSuchOperation' }],
    ['variables that are not an object', { operationName: 'ParksWithCapacity', variables: [1, 2] }],
    ['variables missing a required one', { operationName: 'ReservationsInRange', variables: { from: '2026-01-01' } }],
    [
      'variables of the wrong type',
      { operationName: 'ReservationsInRange', variables: { from: 'soon', to: '2026-01-01' } },
    ],
  ])('refuses %s with BAD_USER_INPUT', async (_case, args) => {
    const response = await server.as(ALICE, CREATE, { variables: { format: 'CSV', ttlSeconds: 60, ...args } });
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('accepts the longest lifetime allowed', async () => {
    const link = await createLink(ALICE, { operationName: 'ParksWithCapacity', ttlSeconds: MAX_TTL });
    expect(Date.parse(link.expiresAt)).toBeGreaterThan(Date.now() + (MAX_TTL - 5) * 1000);
  });

  it('is for ANALYST, EDITOR and ADMIN: a VIEWER gets FORBIDDEN', async () => {
    const response = await server.as(DAVE, CREATE, {
      variables: { operationName: 'ParksWithCapacity', format: 'CSV', ttlSeconds: 60 },
    });
    expect(codesOf(response)).toEqual(['FORBIDDEN']);
  });
});

describe('a link that is not genuine, or no longer valid, gets 403 and nothing else', () => {
  it('expired: signed with a past expiry', async () => {
    const db = server.app.services.database.forTenant(TEXAS);
    const token = await server.app.services.bi.exportLinks.sign(db, {
      operation: 'ParksWithCapacity',
      hash: server.app.services.bi.trustedOperations.repository().find((op) => op.name === 'ParksWithCapacity')!.hash,
      variables: null,
      format: 'CSV',
      roles: ['ADMIN'],
      createdBy: { kind: 'user', id: 'test' },
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    await expectRefused(`${server.url}/bi/links/${token}.csv`);
  });

  it('expired: a one-second link, a little later', async () => {
    const link = await createLink(ALICE, { operationName: 'ReservationStatsByMonth', ttlSeconds: 1 });
    await sleep(1_100);
    await expectRefused(link.url);
  });

  it('tampered: claims changed (variables, operation, expiry, roles), MAC kept', async () => {
    const link = await createLink(ERIN, {
      operationName: 'ReservationsInRange',
      variables: { from: '2026-04-01', to: '2026-04-30' },
    });
    const { base, mac, extension, claims } = partsOf(link.url);
    expect((await open(link.url)).status).toBe(200);
    for (const change of [
      { x: { from: '2000-01-01', to: '2100-01-01' } },
      { o: 'ParksWithCapacity' },
      { e: (claims.e as number) + 3600 },
      { r: ['ADMIN'] },
    ]) {
      await expectRefused(`${base}${encode({ ...claims, ...change })}.${mac}.${extension}`);
    }
  });

  it('tampered: MAC changed, truncated or missing; format changed; garbage', async () => {
    const link = await createLink(ALICE, { operationName: 'ParksWithCapacity' });
    const { base, payload, mac } = partsOf(link.url);
    const flipped = (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1);
    await expectRefused(`${base}${payload}.${flipped}.csv`);
    await expectRefused(`${base}${payload}.${mac.slice(0, 20)}.csv`);
    await expectRefused(`${base}${payload}.csv`);
    await expectRefused(`${base}${payload}.${mac}.ndjson`);
    await expectRefused(`${base}not-a-link`);
    await expectRefused(`${base}${encode({ nonsense: true })}.${mac}.csv`);
  });

  it('revoked: the tenant rotated its secret (ADMIN only); links made after work', async () => {
    const link = await createLink(ERIN, { operationName: 'ReservationStatsByPark' });
    expect((await open(link.url)).status).toBe(200);
    expect(codesOf(await server.as(ERIN, 'mutation { rotateExportLinkSecret }'))).toEqual(['FORBIDDEN']);
    const rotated = await server.as<{ rotateExportLinkSecret: boolean }>(ALICE, 'mutation { rotateExportLinkSecret }');
    expect(rotated.data?.rotateExportLinkSecret).toBe(true);
    await expectRefused(link.url);
    const fresh = await createLink(ERIN, { operationName: 'ReservationStatsByPark' });
    expect((await open(fresh.url)).status).toBe(200);
  });

  it('revoked: its creator’s key was revoked, or its creator left the tenant', async () => {
    const secret = await createApiKey(server, ALICE, { roles: ['ADMIN'], name: 'link maker' });
    const byKey = await server.gql<{ createExportLink: Link }>(CREATE, {
      auth: secret,
      variables: { operationName: 'ReservationStatsByPark', format: 'CSV', ttlSeconds: 600 },
    });
    expect(byKey.errors).toBeUndefined();
    const keyLink = byKey.data!.createExportLink.url;
    expect((await open(keyLink)).status).toBe(200);
    const keys = await server.as<{ apiKeys: Array<{ id: string; name: string }> }>(ALICE, '{ apiKeys { id name } }');
    const keyId = keys.data!.apiKeys.find((key) => key.name === 'link maker')!.id;
    const revoked = await server.as(ALICE, 'mutation ($id: ID!) { revokeApiKey(id: $id) { id } }', {
      variables: { id: keyId },
    });
    expect(revoked.errors).toBeUndefined();
    await expectRefused(keyLink);

    const userLink = await createLink(ERIN, { operationName: 'ReservationStatsByPark' });
    expect((await open(userLink.url)).status).toBe(200);
    const setRoles =
      'mutation ($roles: [Role!]!) { setMemberRoles(email: "erin@example.com", roles: $roles) { roles } }';
    expect((await server.as(ALICE, setRoles, { variables: { roles: ['VIEWER'] } })).errors).toBeUndefined();
    await expectRefused(userLink.url);
    expect((await server.as(ALICE, setRoles, { variables: { roles: ['ANALYST'] } })).errors).toBeUndefined();
    expect((await open(userLink.url)).status).toBe(200);
  });

  it('stale: the tenant operation it names was removed, or registered again with another body', async () => {
    const register = (document: string) =>
      server.as(ALICE, 'mutation ($d: String!) { registerTrustedOperation(name: "Capacities", document: $d) { id } }', {
        variables: { d: document },
      });
    const remove = () => server.as(ALICE, 'mutation { removeTrustedOperation(name: "Capacities") { id } }');
    expect((await register('query Capacities { parks(first: 100) { nodes { capacity } } }')).errors).toBeUndefined();
    const link = await createLink(ALICE, { operationName: 'Capacities' });
    expect((await open(link.url)).status).toBe(200);
    await remove();
    await expectRefused(link.url);
    expect(
      (await register('query Capacities { parks(first: 100) { nodes { name capacity } } }')).errors,
    ).toBeUndefined();
    await expectRefused(link.url);
    await remove();
  });
});

describe('a link of one tenant never returns another tenant’s rows', () => {
  it('runs in the tenant it was created in', async () => {
    const texas = await open((await createLink(ALICE, { operationName: 'ParksWithCapacity' })).url);
    const colorado = await open((await createLink(CAROL, { operationName: 'ParksWithCapacity' })).url);
    const texasNames = namesIn(await texas.text());
    const coloradoNames = namesIn(await colorado.text());
    expect(coloradoNames).toContain('Colorado Only, "Secret" Park');
    expect(texasNames).not.toContain('Colorado Only, "Secret" Park');
    expect(texasNames.filter((name) => coloradoNames.includes(name))).toEqual([]);
  });

  it('cannot be pointed at another tenant: its MAC does not verify under that tenant’s secret', async () => {
    await createLink(CAROL, { operationName: 'ParksWithCapacity' }); // colorado has a secret
    const link = await createLink(ALICE, { operationName: 'ParksWithCapacity' });
    const { base, mac, extension, claims } = partsOf(link.url);
    expect(claims.t).toBe(TEXAS);
    await expectRefused(`${base}${encode({ ...claims, t: COLORADO })}.${mac}.${extension}`);
    // Not even re-signed with texas's own secret (what a leak of one tenant's secret would allow).
    const forged = encode({ ...claims, t: COLORADO });
    await expectRefused(`${base}${forged}.${sign(await secretOf(TEXAS), forged)}.${extension}`);
    // The check is the MAC, not a coincidence of the test: the same forgery with colorado's secret, in
    // the name of a colorado member, works.
    const asCarol = encode({ ...claims, t: COLORADO, c: { kind: 'user', id: seedId('user:carol@example.com') } });
    expect((await open(`${base}${asCarol}.${sign(await secretOf(COLORADO), asCarol)}.${extension}`)).status).toBe(200);
  });
});

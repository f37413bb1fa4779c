import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../../src/config.js';
import { TenantHostPattern } from '../../src/tenancy/host-pattern.js';
import { closeCode, runOnce, wsClient, wsUrl } from '../support/graphql-ws.js';
import { rawCodes, rawPost } from '../support/raw-http.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** CONTRACT.md section 2: with TENANT_HOST_PATTERN, the Host names the active tenant, checked like X-Tenant-ID. */
let server: TestServer;
let alice: string;

beforeAll(async () => {
  server = await startTestServer({ TENANT_HOST_PATTERN: '{tenant}.api.example.test' });
  alice = `Bearer ${await server.token('alice@example.com')}`;
});
afterAll(async () => {
  await server?.stop();
});

const VIEWER = '{ viewer { tenant { slug } roles } }';
const tenantOf = (answer: Awaited<ReturnType<typeof rawPost>>) =>
  (answer.body.data as { viewer: { tenant: { slug: string } | null } } | undefined)?.viewer.tenant?.slug;

describe('the Host names the active tenant', () => {
  it('for a member, in any case and with a port', async () => {
    expect(tenantOf(await rawPost(server.url, { host: 'texas.api.example.test', authorization: alice }, VIEWER))).toBe(
      'texas',
    );
    const washington = await rawPost(
      server.url,
      { host: 'Washington.API.example.test:443', authorization: alice },
      VIEWER,
    );
    expect(tenantOf(washington)).toBe('washington');
    expect(washington.body.data).toMatchObject({ viewer: { roles: ['VIEWER'] } });
  });

  it('is FORBIDDEN to a user who is not a member, as X-Tenant-ID would be, and to another tenant’s key', async () => {
    const colorado = await rawPost(server.url, { host: 'colorado.api.example.test', authorization: alice }, VIEWER);
    expect(colorado.status).toBe(403);
    expect(rawCodes(colorado)).toEqual(['FORBIDDEN']);
    const unknown = await rawPost(server.url, { host: 'nowhere.api.example.test', authorization: alice }, VIEWER);
    expect(unknown.status).toBe(403);
    expect(unknown.body).toEqual(colorado.body);

    const created = await server.as<{ createApiKey: { secret: string } }>(
      'alice@example.com',
      'mutation { createApiKey(input: { name: "host", roles: [VIEWER] }) { secret } }',
    );
    const key = created.data!.createApiKey.secret;
    expect(tenantOf(await rawPost(server.url, { host: 'texas.api.example.test', 'x-api-key': key }, VIEWER))).toBe(
      'texas',
    );
    expect(
      rawCodes(await rawPost(server.url, { host: 'colorado.api.example.test', 'x-api-key': key }, VIEWER)),
    ).toEqual(['FORBIDDEN']);
  });

  it('an X-Tenant-ID that disagrees with the Host is BAD_USER_INPUT (400) and runs nothing; one that agrees is fine', async () => {
    const mutation = 'mutation { createPark(input: { name: "Between" }) { id } }';
    const disagree = await rawPost(
      server.url,
      { host: 'texas.api.example.test', 'x-tenant-id': 'washington', authorization: alice },
      mutation,
    );
    expect(disagree.status).toBe(400);
    expect(rawCodes(disagree)).toEqual(['BAD_USER_INPUT']);
    const parks = await server.as<{ parks: { nodes: Array<{ name: string }> } }>(
      'alice@example.com',
      '{ parks(first: 100) { nodes { name } } }',
    );
    expect(parks.data!.parks.nodes.map((park) => park.name)).not.toContain('Between');
    const agree = await rawPost(
      server.url,
      { host: 'texas.api.example.test', 'x-tenant-id': 'texas', authorization: alice },
      VIEWER,
    );
    expect(tenantOf(agree)).toBe('texas');
  });

  it('comes before the token’s tenant claim; a Host outside the pattern names no tenant', async () => {
    const prefersWashington = `Bearer ${await server.token('alice@example.com', { tenant: 'washington' })}`;
    expect(
      tenantOf(await rawPost(server.url, { host: 'texas.api.example.test', authorization: prefersWashington }, VIEWER)),
    ).toBe('texas');
    expect(
      tenantOf(await rawPost(server.url, { host: 'api.example.test', authorization: prefersWashington }, VIEWER)),
    ).toBe('washington');
    expect(tenantOf(await rawPost(server.url, { host: 'a.b.api.example.test', authorization: alice }, VIEWER))).toBe(
      'texas',
    );
  });

  it('over WebSocket, from the upgrade request’s Host', async () => {
    const viewerOver = async (host: string): Promise<{ tenant?: string; closed?: number }> => {
      class HostSocket extends WebSocket {
        constructor(url: string, protocols: string[]) {
          super(url, protocols, { headers: { host } });
        }
      }
      const { client } = wsClient(wsUrl(server.url), {
        webSocketImpl: HostSocket,
        connectionParams: { authorization: alice },
      });
      const { result, error } = await runOnce(client, { query: VIEWER });
      await client.dispose();
      if (result) return { tenant: (result.data as { viewer: { tenant: { slug: string } } }).viewer.tenant.slug };
      return { closed: closeCode(error) };
    };
    expect(await viewerOver('washington.api.example.test')).toEqual({ tenant: 'washington' });
    expect(await viewerOver('colorado.api.example.test')).toEqual({ closed: 4403 });
  });
});

describe('TENANT_HOST_PATTERN', () => {
  it('matches one whole label', () => {
    const pattern = new TenantHostPattern('{tenant}.api.example.com');
    expect(pattern.slugOf('texas.api.example.com')).toBe('texas');
    expect(pattern.slugOf('texas.api.example.com.')).toBe('texas');
    expect(pattern.slugOf('new-mexico.api.example.com:8443')).toBe('new-mexico');
    for (const host of [
      undefined,
      'api.example.com',
      'x.texas.api.example.com',
      'texas.api.example.comx',
      '-a.api.example.com',
    ])
      expect(pattern.slugOf(host)).toBeNull();
    expect(new TenantHostPattern('api.{tenant}.example.com').slugOf('api.texas.example.com')).toBe('texas');
  });

  it.each([
    ['api.example.com', /exactly once/],
    ['{tenant}.{tenant}.example.com', /exactly once/],
    ['x{tenant}.example.com', /whole label/],
    ['{tenant}', /host name/],
    ['{tenant}.exa mple.com', /host name/],
  ])('refuses %s at start-up, naming the variable', (value, problem) => {
    expect(() => loadConfig({ TENANT_HOST_PATTERN: value })).toThrow(ConfigError);
    expect(() => loadConfig({ TENANT_HOST_PATTERN: value })).toThrow(problem);
    expect(() => loadConfig({ TENANT_HOST_PATTERN: value })).toThrow(/^TENANT_HOST_PATTERN: /);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weatherFor } from '../../examples/weather-subgraph/server.js';
import { codes } from '../support/server.js';
import { startFederation, type Federation } from './support.js';

/*
 * A real gateway (Hive Gateway's runtime, in-process) in front of tenantgraph and the example weather
 * subgraph, composed from schema/ as `npm run supergraph` composes it. The gateway only forwards the
 * caller's Authorization and X-Tenant-ID: tenantgraph verifies them as for a direct call.
 */
let federation: Federation;
const tenants = {
  texas: { user: 'alice@example.com', parks: [] as string[] },
  washington: { user: 'bob@example.com', parks: [] as string[] },
};

const PARKS_WITH_WEATHER = `{
  viewer { tenant { slug } }
  parks(first: 100) { nodes { id name weather { condition temperatureC } } }
}`;
const FORECAST = 'query($id: ID!) { forecast(parkId: $id) { weather { condition } park { id name capacity } } }';

interface ParksData {
  viewer: { tenant: { slug: string } | null };
  parks: { nodes: Array<{ id: string; name: string; weather: { condition: string; temperatureC: number } | null }> };
}

const bearer = async (email: string) => ({ authorization: `Bearer ${await federation.subgraph.token(email)}` });

beforeAll(async () => {
  federation = await startFederation();
  // What each tenant's parks are, asked of the subgraph directly.
  for (const tenant of Object.values(tenants)) {
    const direct = await federation.subgraph.as<ParksData>(tenant.user, '{ parks(first: 100) { nodes { id } } }');
    tenant.parks = direct.data!.parks.nodes.map((park) => park.id);
    expect(tenant.parks.length).toBeGreaterThanOrEqual(3);
  }
  expect(tenants.texas.parks.filter((id) => tenants.washington.parks.includes(id))).toEqual([]);
});
afterAll(() => federation?.stop());

describe('a query spanning both subgraphs', () => {
  it.each(Object.entries(tenants))(
    'returns %s’s parks only, each with the weather subgraph’s field',
    async (slug, tenant) => {
      const response = await federation.gateway.post<ParksData>(PARKS_WITH_WEATHER, {
        headers: { ...(await bearer(tenant.user)), 'x-tenant-id': slug },
      });
      expect(response.errors).toBeUndefined();
      expect(response.data!.viewer.tenant?.slug).toBe(slug);
      const nodes = response.data!.parks.nodes;
      expect(nodes.map((park) => park.id)).toEqual(tenant.parks);
      for (const park of nodes) {
        expect(park.name).toEqual(expect.any(String));
        expect(park.weather).toEqual(weatherFor(park.id));
      }
    },
  );

  it('a user’s stored active tenant applies when no X-Tenant-ID is sent (bob: washington)', async () => {
    const response = await federation.gateway.post<ParksData>(PARKS_WITH_WEATHER, {
      headers: await bearer('bob@example.com'),
    });
    expect(response.data!.parks.nodes.map((park) => park.id)).toEqual(tenants.washington.parks);
  });
});

describe('entities fetched by key through the gateway', () => {
  it('a park of the caller’s tenant is resolved by tenantgraph', async () => {
    const id = tenants.texas.parks[0]!;
    const response = await federation.gateway.post<{ forecast: { park: { id: string; name: string } | null } }>(
      FORECAST,
      {
        variables: { id },
        headers: { ...(await bearer('alice@example.com')), 'x-tenant-id': 'texas' },
      },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.forecast.park).toMatchObject({ id, name: expect.any(String) });
  });

  it('another tenant’s park id resolves to null: nothing of it leaves tenantgraph', async () => {
    const id = tenants.washington.parks[0]!;
    const owner = await federation.gateway.post<{ forecast: { park: { name: string } } }>(FORECAST, {
      variables: { id },
      headers: await bearer('bob@example.com'),
    });
    const name = owner.data!.forecast.park.name;
    const response = await federation.gateway.post<{ forecast: { park: unknown; weather: unknown } }>(FORECAST, {
      variables: { id },
      headers: { ...(await bearer('alice@example.com')), 'x-tenant-id': 'texas' },
    });
    expect(response.data?.forecast).toEqual({ weather: { condition: weatherFor(id).condition }, park: null });
    expect(JSON.stringify(response)).not.toContain(name);
  });
});

describe('callers the subgraph refuses', () => {
  it('no credentials: UNAUTHENTICATED, no data', async () => {
    const response = await federation.gateway.post(PARKS_WITH_WEATHER);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.data ?? null).toBeNull();
  });

  it('a forged token: UNAUTHENTICATED', async () => {
    const forged = await federation.subgraph.signRaw({ sub: 'alice@example.com' }); // no iss/aud/exp
    const response = await federation.gateway.post(PARKS_WITH_WEATHER, {
      headers: { authorization: `Bearer ${forged}` },
    });
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.data ?? null).toBeNull();
  });

  it('a forged X-Tenant-ID (a tenant alice is no member of): FORBIDDEN, no data', async () => {
    const response = await federation.gateway.post(PARKS_WITH_WEATHER, {
      headers: { ...(await bearer('alice@example.com')), 'x-tenant-id': 'colorado' },
    });
    expect(codes(response)).toEqual(['FORBIDDEN']);
    expect(response.data ?? null).toBeNull();
  });

  it('the role rules hold through the gateway: a viewer gets no visitorEmail', async () => {
    const response = await federation.gateway.post<{ reservations: { nodes: Array<{ visitorEmail: string | null }> } }>(
      '{ reservations(first: 1) { nodes { id visitorEmail } } }',
      { headers: await bearer('dave@example.com') },
    );
    expect(codes(response)).toContain('FORBIDDEN');
    expect(JSON.stringify(response.data)).not.toMatch(/@example\.com/);
  });
});

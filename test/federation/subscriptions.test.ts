import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedId } from '../../src/seed/seed.js';
import { startFederation, subscribeThrough, type Federation, type GatewaySubscription } from './support.js';
import { quietFor, until } from '../support/wait.js';

/*
 * `exportEvents` through the gateway: Hive Gateway takes the client's graphql-ws connection and
 * opens its own to tenantgraph, handing on the client's connection_init credentials and tenant, which
 * tenantgraph verifies as for a direct connection. Each subscriber gets its own tenant's events only.
 */
let federation: Federation;

const CREATE_PARK = 'mutation($name: String!) { createPark(input: { name: $name }) { id } }';
/** Subscribes and waits until tenantgraph has started the stream, so what follows is "after it started". */
async function subscribeLive(email: string, slug: string): Promise<GatewaySubscription> {
  const feed = federation.subgraph.app.services.exportFeed;
  const tenantId = seedId(`tenant:${slug}`);
  const before = feed.started(tenantId);
  const token = await federation.subgraph.token(email);
  const subscription = subscribeThrough(federation.gateway, { authorization: `Bearer ${token}`, 'x-tenant-id': slug });
  await until(() => feed.started(tenantId) > before || subscription.ended, `${email}'s stream in ${slug}`);
  expect(subscription.errors).toEqual([]);
  return subscription;
}

beforeAll(async () => {
  federation = await startFederation();
});
afterAll(() => federation?.stop());

describe('exportEvents through the gateway', () => {
  it('delivers each tenant’s events to that tenant’s subscriber only', async () => {
    const frank = await subscribeLive('frank@example.com', 'texas'); // texas integrator
    const carol = await subscribeLive('carol@example.com', 'colorado'); // colorado admin
    try {
      const texasPark = await federation.subgraph.as<{ createPark: { id: string } }>('alice@example.com', CREATE_PARK, {
        tenant: 'texas',
        variables: { name: 'Gateway Texas Park' },
      });
      const coloradoPark = await federation.subgraph.as<{ createPark: { id: string } }>(
        'carol@example.com',
        CREATE_PARK,
        {
          variables: { name: 'Gateway Colorado Park' },
        },
      );
      await until(() => frank.events.length >= 1 && carol.events.length >= 1, 'one event each');
      await quietFor(300); // room for a stray delivery to show up
      expect(frank.events).toEqual([
        {
          type: 'park.created',
          tenant: 'texas',
          subject: texasPark.data!.createPark.id,
          data: expect.objectContaining({ name: 'Gateway Texas Park' }),
        },
      ]);
      expect(carol.events).toEqual([
        {
          type: 'park.created',
          tenant: 'colorado',
          subject: coloradoPark.data!.createPark.id,
          data: expect.objectContaining({ name: 'Gateway Colorado Park' }),
        },
      ]);
      expect(frank.errors).toEqual([]);
      expect(carol.errors).toEqual([]);
    } finally {
      await Promise.all([frank.client.dispose(), carol.client.dispose()]);
    }
  });

  /*
   * tenantgraph refuses such a connection at `connection_init` (close 4403). Hive Gateway's WebSocket
   * transport (graphql-ws's client with its defaults) treats 4403 as retryable and tries again with
   * back-off, so the client's operation errors only once the retries are spent (about half a minute).
   * What matters here: tenantgraph opens no stream for it, and it receives nothing.
   */
  it.each([
    ['no credentials', async () => ({})],
    [
      'a forged X-Tenant-ID (frank, texas integrator, naming colorado)',
      async () => ({
        authorization: `Bearer ${await federation.subgraph.token('frank@example.com')}`,
        'x-tenant-id': 'colorado',
      }),
    ],
    [
      'an expired token',
      async () => {
        const { subgraph } = federation;
        const past = Math.floor(Date.now() / 1000) - 120;
        const claims = {
          sub: 'frank@example.com',
          iss: subgraph.issuer.issuer,
          aud: subgraph.issuer.audience,
          iat: past - 60,
          exp: past,
        };
        return { authorization: `Bearer ${await subgraph.signRaw(claims)}`, 'x-tenant-id': 'texas' };
      },
    ],
  ])('%s: tenantgraph opens no stream and nothing is delivered', async (_name, params) => {
    const feed = federation.subgraph.app.services.exportFeed;
    await until(() => feed.subscribers() === 0, 'the earlier tests’ streams to close');
    const refused = subscribeThrough(federation.gateway, await params());
    let streams = 0;
    const sampling = setInterval(() => (streams = Math.max(streams, feed.subscribers())), 5);
    try {
      await quietFor(500);
      await federation.subgraph.as('carol@example.com', CREATE_PARK, { variables: { name: 'Not For Them' } });
      await federation.subgraph.as('alice@example.com', CREATE_PARK, {
        tenant: 'texas',
        variables: { name: 'Not For Them Either' },
      });
      await quietFor(300);
    } finally {
      clearInterval(sampling);
    }
    expect(refused.events).toEqual([]);
    expect(streams).toBe(0);
    await refused.client.dispose();
  });

  it('a role without the right (dave, texas viewer): FORBIDDEN, nothing delivered', async () => {
    const token = await federation.subgraph.token('dave@example.com');
    const dave = subscribeThrough(federation.gateway, { authorization: `Bearer ${token}`, 'x-tenant-id': 'texas' });
    await until(() => dave.ended || dave.errors.length > 0, 'the refusal');
    expect(JSON.stringify(dave.errors)).toContain('FORBIDDEN');
    expect(dave.events).toEqual([]);
    await dave.client.dispose();
  });
});

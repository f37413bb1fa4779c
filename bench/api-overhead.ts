import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import { pino } from 'pino';
import { ROLES } from '../src/authz/roles.js';
import type { RequestContext } from '../src/context.js';
import { resolvers } from '../src/modules/application.js';
import { contextFor } from '../src/server/request-context.js';
import { buildSchema } from '../src/server/schema.js';
import { loadTypeDefs } from '../src/schema/type-defs.js';
import { addParks, addReservations, startBenchApp } from './bench-app.js';
import { loadFromAnotherProcess } from './load-process.js';

/** The two shapes of the issue: a flat list, and a nested one of 1,000 nodes. */
const SHAPES = [
  { name: '100 parks × 5 fields', query: '{ parks(first: 100) { nodes { id name region capacity __typename } } }' },
  {
    name: '100 parks × 10 reservations × 5 fields',
    query:
      '{ parks(first: 100) { nodes { id reservations(first: 10) { nodes { id visitorName partySize date status } } } } }',
  },
] as const;
const DURATION_SECONDS = 4;
const CONNECTIONS = 8;
const WARM_UP_SECONDS = 1;

interface Run {
  rps: number;
  p99: number;
}

async function load(
  url: string,
  headers: Record<string, string>,
  query: string,
  seconds = DURATION_SECONDS,
): Promise<Run> {
  const result = await loadFromAnotherProcess({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    seconds,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

/**
 * A 100-park list with 5 fields, and the same parks with 10 reservations each, through the full stack (JWT, tenancy, shield, scoped data) against
 * the same resolvers on a bare subgraph with no auth and no shield, on one embedded database. Each
 * server is warmed up first, then the runs are interleaved twice so that machine noise falls on every
 * side; the load comes from another process (load-process.ts), so that it is not counted as the
 * servers' work.
 */
export async function run(): Promise<void> {
  const bench = await startBenchApp();
  const { app, token, texasId: texas, texas: db } = bench;
  await addReservations(db, await addParks(db, 100), 10);

  const fixedContext = async (): Promise<RequestContext> =>
    contextFor(app.services, {
      requestId: 'bench',
      principal: {
        kind: 'user',
        userId: 'bench',
        subject: 'bench',
        email: 'bench@example.com',
        expiresAt: new Date(8.64e15),
      },
      tenant: { id: texas, slug: 'texas', name: 'Texas', plan: 'standard' },
      roles: new Set(ROLES),
    });
  // The same resolvers with no credentials to verify: without the permission map (bare), and with it
  // (shield only), to tell the cost of the per-field rules from the cost of authentication.
  const serve = async (schema: GraphQLSchema) => {
    const server = new ApolloServer<RequestContext>({ schema, logger: pino({ level: 'silent' }) });
    const { url } = await startStandaloneServer(server, {
      listen: { port: 0, host: '127.0.0.1' },
      context: fixedContext,
    });
    return { server, url };
  };
  const bare = await serve(buildSubgraphSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never }));
  const shielded = await serve(buildSchema());

  const countCommands = async () =>
    (await app.metrics.databaseCommands.get()).values.reduce((sum, v) => sum + v.value, 0);
  const countRequests = async () => (await app.metrics.requests.get()).values.reduce((sum, v) => sum + v.value, 0);

  const mean = (runs: Run[], key: keyof Run) => runs.reduce((sum, r) => sum + r[key], 0) / runs.length;
  for (const shape of SHAPES) {
    const full: Run[] = [];
    const plain: Run[] = [];
    const shieldOnly: Run[] = [];
    let commands = 0;
    let requests = 0;
    await load(`${app.url}/graphql`, { authorization: `Bearer ${token}` }, shape.query, WARM_UP_SECONDS);
    await load(bare.url, {}, shape.query, WARM_UP_SECONDS);
    await load(shielded.url, {}, shape.query, WARM_UP_SECONDS);
    for (let round = 0; round < 2; round += 1) {
      const commandsBefore = await countCommands();
      const requestsBefore = await countRequests();
      full.push(await load(`${app.url}/graphql`, { authorization: `Bearer ${token}` }, shape.query));
      commands += (await countCommands()) - commandsBefore;
      requests += (await countRequests()) - requestsBefore;
      plain.push(await load(bare.url, {}, shape.query));
      shieldOnly.push(await load(shielded.url, {}, shape.query));
    }
    console.log(`api overhead: ${shape.name}, full stack vs bare subgraph (same resolvers, same database)`);
    console.log(`  requests/s full/bare: ${(mean(full, 'rps') / mean(plain, 'rps')).toFixed(2)}x`);
    console.log(`  p99 latency full/bare: ${(mean(full, 'p99') / mean(plain, 'p99')).toFixed(2)}x`);
    console.log(`  requests/s shield only/bare: ${(mean(shieldOnly, 'rps') / mean(plain, 'rps')).toFixed(2)}x`);
    console.log(`  p99 latency shield only/bare: ${(mean(shieldOnly, 'p99') / mean(plain, 'p99')).toFixed(2)}x`);
    console.log(`  database round trips per full-stack request: ${(commands / requests).toFixed(2)}`);
  }

  await bare.server.stop();
  await shielded.server.stop();
  await bench.stop();
}

import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { ApolloServer, type ApolloServerOptions, type BaseContext } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

/** The weather subgraph's SDL (examples/weather-subgraph/schema.graphql). */
export const weatherTypeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

const CONDITIONS = ['SUNNY', 'CLOUDY', 'RAIN', 'SNOW'] as const;

/** A made-up but stable forecast: the same park id always gets the same weather. */
export function weatherFor(parkId: string) {
  const digest = createHash('sha256').update(parkId).digest();
  return { condition: CONDITIONS[digest[0]! % CONDITIONS.length]!, temperatureC: (digest[1]! % 40) - 5 };
}

interface ParkRef {
  id: string;
}

const resolvers = {
  Query: {
    forecast: (_: unknown, { parkId }: { parkId: string }) => ({ park: { id: parkId }, weather: weatherFor(parkId) }),
  },
  Park: {
    __resolveReference: (ref: ParkRef) => ({ id: ref.id }),
    weather: (park: ParkRef) => weatherFor(park.id),
  },
};

export interface RunningWeatherSubgraph {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4001/graphql`. */
  url: string;
  stop(): Promise<void>;
}

export interface WeatherSubgraphOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Apollo Server's logger; the default logs to the console. */
  logger?: ApolloServerOptions<BaseContext>['logger'];
}

/** Starts the weather subgraph on its own Apollo Server. */
export async function startWeatherSubgraph(options: WeatherSubgraphOptions = {}): Promise<RunningWeatherSubgraph> {
  const { port = 0, host = '127.0.0.1', logger } = options;
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: weatherTypeDefs, resolvers }),
    stopOnTerminationSignals: false,
    ...(logger ? { logger } : {}),
  });
  const { url } = await startStandaloneServer(server, { listen: { port, host } });
  return { url: new URL('/graphql', url).toString(), stop: () => server.stop() };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const running = await startWeatherSubgraph({ port: Number(process.env.PORT ?? 4001) });
  console.log(`weather subgraph listening on ${running.url}`);
  const stop = () => void running.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

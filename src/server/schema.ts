import { buildSubgraphSchema } from '@apollo/subgraph';
import { mergeResolvers } from '@graphql-tools/merge';
import type { GraphQLSchema } from 'graphql';
import { applyPermissions } from '../authz/permissions.js';
import { eventResolvers } from '../events/resolvers.js';
import type { Resolvers } from '../generated/graphql.js';
import { apiKeyResolvers } from '../modules/api-keys/resolvers.js';
import { biResolvers } from '../modules/bi/resolvers.js';
import { memberResolvers } from '../modules/members/resolvers.js';
import { parkResolvers } from '../modules/parks/index.js';
import { reservationResolvers } from '../modules/reservations/index.js';
import { scalarResolvers } from '../modules/scalars.js';
import { tenantResolvers } from '../modules/tenants/resolvers.js';
import { loadTypeDefs } from '../schema/type-defs.js';
import { subgraphSdl } from './gateway-introspection.js';

export const resolvers: Resolvers = mergeResolvers([
  scalarResolvers,
  tenantResolvers,
  memberResolvers,
  apiKeyResolvers,
  parkResolvers,
  reservationResolvers,
  eventResolvers,
  biResolvers,
]);

/**
 * The subgraph schema with the permission map applied to every field (deny by default), and the SDL
 * its `_service` answers (served to a gateway that carries the gateway secret), built once.
 */
export function buildSubgraph(): { schema: GraphQLSchema; sdl: string } {
  const subgraph = buildSubgraphSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never });
  const sdl = subgraphSdl(subgraph);
  return { schema: applyPermissions(subgraph), sdl };
}

export const buildSchema = (): GraphQLSchema => buildSubgraph().schema;

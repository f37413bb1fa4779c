import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import { applyPermissions } from '../authz/permissions.js';
import { moduleTypeDefs, permissionMap, resolvers } from '../modules/application.js';
import { subgraphSdl } from './gateway-introspection.js';

/**
 * The subgraph schema of the registered modules (src/modules/registry.ts) with the permission map
 * applied to every field (deny by default), and the SDL its `_service` answers (served to a gateway
 * that carries the gateway secret), built once.
 */
export function buildSubgraph(): { schema: GraphQLSchema; sdl: string } {
  const subgraph = buildSubgraphSchema({ typeDefs: moduleTypeDefs(), resolvers: resolvers as never });
  const sdl = subgraphSdl(subgraph);
  return { schema: applyPermissions(subgraph, permissionMap), sdl };
}

export const buildSchema = (): GraphQLSchema => buildSubgraph().schema;

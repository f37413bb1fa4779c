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

/** The subgraph schema with the permission map applied to every field (deny by default). */
export function buildSchema(): GraphQLSchema {
  const schema = buildSubgraphSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never });
  return applyPermissions(schema);
}

import { can, isAuthenticated } from '../../authz/rules.js';
import { defineModule } from '../module.js';
import { scalarResolvers } from './scalars.js';

/**
 * What every other module builds on: the federation link, the scalars, Relay's PageInfo, and the
 * fields the federation library adds (`_entities`, `_service`). Each entity's `__resolveReference`
 * scopes `_entities` to the active tenant (see src/authz/permissions.ts).
 */
export const coreModule = defineModule({
  name: 'core',
  typeDefs: ['federation.graphql', 'scalars.graphql'],
  resolvers: scalarResolvers,
  permissions: {
    Query: { _entities: can('readTenantData'), _service: isAuthenticated },
    _Service: { sdl: isAuthenticated },
    PageInfo: { hasNextPage: can('readTenantData'), endCursor: can('readTenantData') },
  },
});

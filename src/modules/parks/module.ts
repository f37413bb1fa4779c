import { allOf, can } from '../../authz/rules.js';
import { byIdLoader } from '../loaders.js';
import { defineModule } from '../module.js';
import { seedParksAndReservations } from './demo-data.js';
import { PARK_EVENTS } from './park-events.js';
import { findParksByIds } from './park-repository.js';
import { parkResolvers } from './resolvers.js';

export const parksModule = defineModule({
  name: 'parks',
  typeDefs: ['parks.graphql'],
  resolvers: parkResolvers,
  collections: [
    {
      name: 'parks',
      owner: 'tenant',
      indexes: [{ key: { tenantId: 1, _id: 1 } }, { key: { tenantId: 1, name: 1 } }],
    },
  ],
  globalIdTypes: ['Park'],
  loaders: (db) => ({ parkById: byIdLoader((ids) => findParksByIds(db, ids)) }),
  events: PARK_EVENTS,
  mutations: { createPark: 'tenantTransaction', updatePark: 'tenantTransaction', deletePark: 'tenantTransaction' },
  permissions: {
    Query: { park: can('readTenantData'), parks: can('readTenantData') },
    Mutation: { createPark: can('write'), updatePark: can('write'), deletePark: can('write') },
    Park: allOf(can('readTenantData'), 'id', 'name', 'region', 'capacity', 'reservations'),
    ParkConnection: allOf(can('readTenantData'), 'edges', 'nodes', 'pageInfo'),
    ParkEdge: allOf(can('readTenantData'), 'cursor', 'node'),
  },
  isolation: {
    typename: 'Park',
    list: { field: 'parks', selection: 'id name region capacity' },
    byId: 'park',
    mutations: [
      {
        name: 'updatePark',
        document: 'mutation($id: ID!) { updatePark(id: $id, input: { name: "Taken" }) { id } }',
        code: 'NOT_FOUND',
      },
      { name: 'deletePark', document: 'mutation($id: ID!) { deletePark(id: $id) }', code: 'NOT_FOUND' },
    ],
  },
  // The demo parks carry their reservations: a reservation belongs to a park.
  seed: seedParksAndReservations,
});

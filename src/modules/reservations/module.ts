import { allOf, can } from '../../authz/rules.js';
import { defineModule } from '../module.js';
import { RESERVATION_EVENTS } from './reservation-events.js';
import { reservationLoaders } from './reservation-loaders.js';
import { reservationResolvers } from './resolvers.js';

export const reservationsModule = defineModule({
  name: 'reservations',
  typeDefs: ['reservations.graphql'],
  resolvers: reservationResolvers,
  collections: [
    {
      name: 'reservations',
      owner: 'tenant',
      indexes: [
        { key: { tenantId: 1, _id: 1 } },
        { key: { tenantId: 1, parkId: 1, date: 1 } },
        { key: { tenantId: 1, date: 1 } },
      ],
    },
  ],
  globalIdTypes: ['Reservation'],
  loaders: reservationLoaders,
  events: RESERVATION_EVENTS,
  mutations: { createReservation: 'tenantTransaction', cancelReservation: 'tenantTransaction' },
  permissions: {
    Query: {
      reservation: can('readTenantData'),
      reservations: can('readTenantData'),
      reservationStats: can('analyze'),
    },
    Mutation: { createReservation: can('write'), cancelReservation: can('write') },
    Reservation: {
      ...allOf(can('readTenantData'), 'id', 'park', 'visitorName', 'partySize', 'date', 'status'),
      // Personal data: the one place it is declared (export events withhold the same field).
      visitorEmail: can('readPii'),
    },
    ReservationConnection: allOf(can('readTenantData'), 'edges', 'nodes', 'pageInfo'),
    ReservationEdge: allOf(can('readTenantData'), 'cursor', 'node'),
    ReservationStat: allOf(can('analyze'), 'key', 'reservations', 'visitors'),
  },
  isolation: {
    typename: 'Reservation',
    list: { field: 'reservations', selection: 'id status partySize visitorName park { id }' },
    byId: 'reservation',
    mutations: [
      {
        name: 'cancelReservation',
        document: 'mutation($id: ID!) { cancelReservation(id: $id) { id } }',
        code: 'NOT_FOUND',
      },
      {
        name: 'createReservation naming another tenant’s park',
        document:
          'mutation($id: ID!) { createReservation(input: { parkId: $id, visitorName: "X", visitorEmail: "x@example.com", partySize: 1, date: "2026-12-24" }) { id } }',
        code: 'BAD_USER_INPUT',
        idOf: 'Park',
      },
    ],
  },
});

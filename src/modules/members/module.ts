import { allOf, can } from '../../authz/rules.js';
import { defineModule } from '../module.js';
import { memberResolvers } from './resolvers.js';

/** The members of the active tenant and their roles, managed by its admins. */
export const membersModule = defineModule({
  name: 'members',
  typeDefs: ['members.graphql'],
  resolvers: memberResolvers,
  collections: [
    {
      name: 'memberships',
      owner: 'platform',
      indexes: [
        { key: { userId: 1, tenantId: 1 }, unique: true },
        // A tenant's member list.
        { key: { tenantId: 1, userId: 1 } },
      ],
    },
  ],
  mutations: { setMemberRoles: 'sharedTransaction', inviteMember: 'sharedTransaction' },
  permissions: {
    Query: { members: can('manageTenant') },
    Mutation: { setMemberRoles: can('manageTenant'), inviteMember: can('manageTenant') },
    Member: allOf(can('manageTenant'), 'user', 'roles'),
    MemberInvitation: allOf(can('manageTenant'), 'email', 'roles'),
  },
});

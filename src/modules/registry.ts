import { apiKeysModule } from './api-keys/module.js';
import { biModule } from './bi/module.js';
import { coreModule } from './core/module.js';
import { exportEventsModule } from './export-events/module.js';
import { idempotencyModule } from './idempotency/module.js';
import { jobsModule } from './jobs/module.js';
import { limitsModule } from './limits/module.js';
import { membersModule } from './members/module.js';
import { operatorsModule } from './operators/module.js';
import { parksModule } from './parks/module.js';
import { reservationsModule } from './reservations/module.js';
import { tenantsModule } from './tenants/module.js';

/**
 * THE list of modules (src/modules/<name>/module.ts). One line adds a module to the server: its SDL,
 * resolvers, collections and indexes, loaders, event types, permissions, demo data and isolation
 * fixtures are all read from its definition (src/modules/application.ts derives what the server needs).
 * Order matters only for seeding (a module's demo data may reference an earlier module's).
 */
export const MODULES = [
  coreModule,
  tenantsModule,
  membersModule,
  apiKeysModule,
  parksModule,
  reservationsModule,
  exportEventsModule,
  biModule,
  limitsModule,
  operatorsModule,
  idempotencyModule,
  jobsModule,
] as const;

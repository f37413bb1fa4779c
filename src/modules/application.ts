import { mergeResolvers } from '@graphql-tools/merge';
import type { DocumentNode } from 'graphql';
import { mergePermissionBlocks, piiFieldsOf } from '../authz/permissions.js';
import { CollectionCatalog } from '../data/collection-catalog.js';
import type { TenantDb } from '../data/tenant-db.js';
import { EventCatalog } from '../events/event-types.js';
import type { Resolvers } from '../generated/graphql.js';
import { loadTypeDefs, SCHEMA_DIR } from '../schema/type-defs.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { IsolationFixture, ModuleDefinition, MutationRetry } from './module.js';
import { MODULES } from './registry.js';

/*
 * Everything the server derives from the module registry, in one place: nothing else keeps a list
 * of collections, indexes, event types, permissions, loaders or demo data.
 */

const modules: readonly ModuleDefinition[] = MODULES;

/** The SDL files the modules own, in registry order. */
export const MODULE_SCHEMA_FILES: readonly string[] = modules.flatMap((module) => module.typeDefs);

/** The subgraph's SDL: the modules' files as one document (a file may extend another's root types). */
export const moduleTypeDefs = (dir: string = SCHEMA_DIR): DocumentNode => loadTypeDefs(dir, MODULE_SCHEMA_FILES);

export const resolvers: Resolvers = mergeResolvers(modules.map((module) => module.resolvers));

/** Every collection and index (handed to connectDatabase). */
export const collections = new CollectionCatalog(modules.flatMap((module) => module.collections ?? []));

/** THE permission map: every module's block; the start-up checks that every field has a rule. */
export const permissionMap = mergePermissionBlocks(modules);

/** Every export event type, with the personal data its `data` holds (the `readPii` fields of the type it shows). */
export const eventCatalog = new EventCatalog(
  modules.flatMap((module) =>
    (module.events ?? []).map((event) => ({ type: event.type, piiFields: piiFieldsOf(permissionMap, event.shows) })),
  ),
);

/**
 * The fields whose answers change only together with an export event of the tenant: every field of
 * a module that declares event types (each change of its data records its event in the change's own
 * transaction, docs/events.md), and Relay's PageInfo, computed from the page it belongs to. A
 * persisted GET that selects nothing else is revalidated from the tenant's latest event position
 * (src/server/plugins/revalidation.ts).
 */
export const eventVersionedFields: ReadonlySet<string> = new Set([
  ...modules
    .filter((module) => (module.events ?? []).length > 0)
    .flatMap((module) =>
      Object.entries(module.permissions).flatMap(([type, fields]) => Object.keys(fields).map((f) => `${type}.${f}`)),
    ),
  ...Object.keys(permissionMap.PageInfo ?? {}).map((field) => `PageInfo.${field}`),
]);

/**
 * How every root mutation is made safe to retry with an idempotency key, as its module declares it
 * (ModuleDefinition.mutations). A mutation whose module does not say is a start-up error: a new one
 * cannot be forgotten.
 */
export const mutationRetry: ReadonlyMap<string, MutationRetry> = new Map(
  modules.flatMap((module) =>
    Object.keys((module.resolvers as { Mutation?: object }).Mutation ?? {}).map((field) => {
      const retry = module.mutations?.[field];
      if (retry === undefined) throw new Error(`Module ${module.name} does not say how ${field} is retried safely`);
      return [field, retry] as const;
    }),
  ),
);

const loaderFactories = modules.flatMap((module) => (module.loaders ? [module.loaders] : []));

/** Fresh loaders of every module for one request over its tenant's data (null: none, every load refused). */
export const requestLoaders = (db: TenantDb | null): Loaders => createLoaders(loaderFactories, db);

/** What the cross-tenant test attacks, one fixture per entity. */
export const isolationFixtures: readonly IsolationFixture[] = modules.flatMap((module) =>
  module.isolation ? [module.isolation] : [],
);

/** The modules' demo data steps, in registry order. */
export const demoDataSteps = modules.flatMap((module) => (module.seed ? [module.seed] : []));

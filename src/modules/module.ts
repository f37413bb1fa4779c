import type { IRule } from 'graphql-shield';
import type { CollectionDeclaration } from '../data/collection-catalog.js';
import type { TenantDb } from '../data/tenant-db.js';
import type { Resolvers } from '../generated/graphql.js';
import type { DemoDataStep } from '../seed/seed.js';

/**
 * An export event type a module writes (`<entity>.<what happened>`), and the GraphQL type whose fields
 * its `data` shows. The fields of that type that the permission map guards with the `readPii` ability
 * are withheld from subscribers who may not read them: personal data is declared once, as a rule.
 */
export interface EventDeclaration<TType extends string = string> {
  type: TType;
  shows: string;
}

/** The rule of each field of the module's object types: the module's block of the permission map. */
export type PermissionBlock = Readonly<Record<string, Readonly<Record<string, IRule>>>>;

/**
 * A mutation of the cross-tenant test: run by a caller of one tenant with the id of another tenant's
 * object (of this module's type, or of `idOf`), it must answer `code` and change nothing.
 */
export interface IsolationMutation {
  name: string;
  /** A GraphQL mutation taking the foreign id as `$id`. */
  document: string;
  code: 'NOT_FOUND' | 'BAD_USER_INPUT';
  /** The type of the object whose id is passed; default: the module's own `typename`. */
  idOf?: string;
}

/**
 * How a root mutation sent with an `Idempotency-Key` is made safe to retry: never executed without
 * its response being replayable (docs/operations-runtime.md, idempotency keys).
 * - `tenantTransaction`: it writes only its tenant's placement data; it runs in one transaction of
 *   the placement that also stores its response under the key.
 * - `sharedTransaction`: it writes only the shared database (platform data, a tenant's shared
 *   collections); it runs in one transaction there that also stores its response under the key.
 * - `keyedEffects`: it has effects outside any one transaction (a job queue, files); they are named
 *   from the key (the ids of what it creates) or repeat to nothing (a cancelled job stays cancelled),
 *   so an execution repeated after a crash finds them instead of doing them again.
 */
export type MutationRetry = 'tenantTransaction' | 'sharedTransaction' | 'keyedEffects';

/**
 * What the cross-tenant test (test/isolation/) needs to attack one entity: how to list the victim
 * tenant's objects, how to read one by id, and which mutations take an id. The test builds its
 * matrix from every module that declares this.
 */
export interface IsolationFixture {
  /** The entity's GraphQL type, also its `__typename` in `_entities`. */
  typename: string;
  /** The root list field (a connection taking `first`) and the fields to compare before and after. */
  list: { field: string; selection: string };
  /** The root field that reads one object by `id` (null for a missing or foreign one). */
  byId: string;
  mutations: readonly IsolationMutation[];
}

/**
 * One module (`src/modules/<name>/module.ts`): everything the server needs to know about a feature,
 * in one definition, so that adding an entity touches its folder, its SDL file and one line of
 * src/modules/registry.ts. Modelled on graphql-modules / Hive console's `createModule`, without the
 * dependency injection: the request context (src/context.ts) carries the capabilities instead.
 */
export interface ModuleDefinition<TLoaders extends object = object, TIdType extends string = string> {
  name: string;
  /** The SDL files of schema/ this module owns (each file belongs to exactly one module). */
  typeDefs: readonly string[];
  resolvers: Resolvers;
  /** Its collections and their indexes; tenant collections' indexes start with `tenantId`. */
  collections?: readonly CollectionDeclaration[];
  /** The object types whose ids leave the server as opaque global ids (src/modules/global-id.ts). */
  globalIdTypes?: readonly TIdType[];
  /** Its per-request DataLoaders over the request's tenant data, merged into `ctx.loaders`. */
  loaders?: (db: TenantDb) => TLoaders;
  events?: readonly EventDeclaration[];
  permissions: PermissionBlock;
  isolation?: IsolationFixture;
  /** How each of its root mutations is made safe to retry (every one must be named). */
  mutations?: Readonly<Record<string, MutationRetry>>;
  /** Inserts the module's demo data into one demo tenant (CONTRACT section 4); idempotent. */
  seed?: DemoDataStep;
}

/** Declares a module; an identity function that keeps the literal types (loaders, id types) for the registry. */
export function defineModule<TLoaders extends object = object, const TIdType extends string = never>(
  definition: ModuleDefinition<TLoaders, TIdType>,
): ModuleDefinition<TLoaders, TIdType> {
  return definition;
}

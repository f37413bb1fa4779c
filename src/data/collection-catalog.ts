import { refuse } from './query-guards.js';

/** Who a collection's documents belong to: one tenant each, or the platform (identity data). */
export type CollectionOwner = 'tenant' | 'platform';

export interface IndexDeclaration {
  /** Field → direction, in key order. */
  key: Readonly<Record<string, 1 | -1>>;
  unique?: boolean;
  /**
   * A TTL index: the server deletes a document once the date in the index's one field is older than
   * the event retention given to ensureIndexes (`eventRetention`), or once that date has passed
   * (`theDate`). MongoDB honours TTL on single-field indexes only, so such an index cannot start with
   * tenantId: it serves the server's expiry, never a tenant query.
   */
  expireAfter?: 'eventRetention' | 'theDate';
}

/** A collection as a module declares it (src/modules/<name>/module.ts). */
export interface CollectionDeclaration {
  name: string;
  owner: CollectionOwner;
  indexes: readonly IndexDeclaration[];
  /**
   * Indexes an earlier version declared and that must go (a unique index whose identity changed, say):
   * dropped by ensureIndexes once the declared indexes exist, so a uniqueness rule is never absent
   * while it is replaced by its successor.
   */
  retiredIndexes?: readonly { key: Readonly<Record<string, 1 | -1>> }[];
  /**
   * A tenant collection kept in the shared database whatever the tenant's placement (placement.ts):
   * one read across tenants (API keys are looked up before their tenant is known) or written by the
   * platform itself (the usage ledger). A move leaves it where it is.
   */
  shared?: true;
  /** Credentials (a tenant's signing secret): they never leave the server, an export archive leaves them out. */
  secret?: true;
}

/** An index with the collection it belongs to. */
export interface CatalogIndex extends IndexDeclaration {
  collection: string;
}

const COLLECTION_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/**
 * Every collection of the application and its indexes, as the modules declare them. The data layer
 * reaches only what is in it: a TenantDb opens tenant collections only, the platform handle platform
 * collections only, and a `$lookup` joins within the same kind. The catalog is built once from the
 * module registry (src/modules/registry.ts) and handed to connectDatabase, so that this layer knows no
 * feature by name.
 *
 * Built with a check that fails the start-up: names are unique and plain, and every index of a tenant
 * collection starts with `tenantId` (TTL indexes aside), so each tenant's query reads one tenant's
 * range of the index and no other's.
 */
export class CollectionCatalog {
  readonly #owners = new Map<string, CollectionOwner>();
  readonly #indexes: CatalogIndex[] = [];
  readonly #retired: { collection: string; key: Readonly<Record<string, 1 | -1>> }[] = [];
  readonly #shared = new Set<string>();
  readonly #secret = new Set<string>();

  constructor(declarations: Iterable<CollectionDeclaration>) {
    for (const declaration of declarations) {
      const { name, owner, indexes, retiredIndexes = [] } = declaration;
      if (!COLLECTION_NAME.test(name)) throw new Error(`Collection name ${JSON.stringify(name)} is not a plain name`);
      if (this.#owners.has(name)) throw new Error(`Collection ${name} is declared twice`);
      this.#owners.set(name, owner);
      if (declaration.secret === true) this.#secret.add(name);
      if (declaration.shared === true) {
        if (owner !== 'tenant') throw new Error(`Only a tenant collection can be declared shared: ${name}`);
        this.#shared.add(name);
      }
      for (const index of indexes) {
        const first = Object.keys(index.key)[0];
        if (owner === 'tenant' && index.expireAfter === undefined && first !== 'tenantId') {
          throw new Error(`Index ${JSON.stringify(index.key)} of tenant collection ${name} must start with tenantId`);
        }
        if (index.expireAfter !== undefined && Object.keys(index.key).length !== 1) {
          throw new Error(`TTL index ${JSON.stringify(index.key)} of ${name} must have exactly one field`);
        }
        this.#indexes.push({ collection: name, ...index });
      }
      for (const retired of retiredIndexes) this.#retired.push({ collection: name, key: retired.key });
    }
  }

  isTenant(name: unknown): name is string {
    return typeof name === 'string' && this.#owners.get(name) === 'tenant';
  }

  isPlatform(name: unknown): name is string {
    return typeof name === 'string' && this.#owners.get(name) === 'platform';
  }

  /** True for a tenant collection kept in the shared database whatever the tenant's placement. */
  isShared(name: string): boolean {
    return this.#shared.has(name);
  }

  /** True for a collection of credentials, which never leave the server. */
  isSecret(name: string): boolean {
    return this.#secret.has(name);
  }

  /** The tenant collections that live in the tenant's placement (all but the shared ones). */
  placed(): string[] {
    return this.names('tenant').filter((name) => !this.#shared.has(name));
  }

  /** The names of the collections of one owner, in declaration order. */
  names(owner: CollectionOwner): string[] {
    return [...this.#owners].filter(([, declared]) => declared === owner).map(([name]) => name);
  }

  get indexes(): readonly CatalogIndex[] {
    return this.#indexes;
  }

  /** The indexes to drop once the declared ones exist (CollectionDeclaration.retiredIndexes). */
  get retiredIndexes(): readonly { collection: string; key: Readonly<Record<string, 1 | -1>> }[] {
    return this.#retired;
  }

  /** Refuses a name that is not a collection of `owner` (a bug, and loud). */
  assert(name: unknown, owner: CollectionOwner): asserts name is string {
    const known = owner === 'tenant' ? this.isTenant(name) : this.isPlatform(name);
    if (!known) refuse(`'${String(name)}' is not a ${owner} collection`);
  }
}

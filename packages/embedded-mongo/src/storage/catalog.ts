import type { Document, UUID } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import type { View, ViewCatalog } from '../views.js';
import { Collection } from './collection.js';

const INVALID_DB_NAME_CHARS = /[/\\. "$*<>:|?\0]/;

function namespaceExists(db: string, name: string): CommandError {
  return new CommandError(ErrorCode.NamespaceExists, `Collection ${db}.${name} already exists.`);
}

/**
 * The databases, collections and views of the server. A database exists while it holds a collection
 * (views alone do not list it). Collections and views share one namespace per database.
 */
export class Catalog implements ViewCatalog {
  private readonly databases = new Map<string, Map<string, Collection>>();
  private readonly viewsByDb = new Map<string, Map<string, View>>();

  collection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  view(db: string, name: string): View | undefined {
    return this.viewsByDb.get(db)?.get(name);
  }

  views(db: string): View[] {
    return [...(this.viewsByDb.get(db)?.values() ?? [])];
  }

  /** Defines a view, or redefines one that exists (collMod); its name may not be a collection's. */
  putView(view: View, replacing = false): void {
    validateNamespace(view.db, view.name);
    if (this.collection(view.db, view.name) || (!replacing && this.view(view.db, view.name))) {
      throw namespaceExists(view.db, view.name);
    }
    let views = this.viewsByDb.get(view.db);
    if (!views) {
      views = new Map();
      this.viewsByDb.set(view.db, views);
    }
    views.set(view.name, view);
  }

  /** Every view of every database. */
  allViews(): View[] {
    return [...this.viewsByDb.values()].flatMap((views) => [...views.values()]);
  }

  dropView(db: string, name: string): View | undefined {
    const views = this.viewsByDb.get(db);
    const view = views?.get(name);
    if (!views || !view) return undefined;
    views.delete(name);
    if (views.size === 0) this.viewsByDb.delete(db);
    return view;
  }

  createCollection(db: string, name: string, options: Document = {}, uuid?: UUID): Collection {
    const collection = new Collection(db, name, options, uuid);
    this.adopt(collection);
    return collection;
  }

  /** Registers a collection built elsewhere (one a transaction created, at its commit). */
  adopt(collection: Collection): void {
    validateNamespace(collection.db, collection.name);
    if (this.collection(collection.db, collection.name) || this.view(collection.db, collection.name)) {
      throw namespaceExists(collection.db, collection.name);
    }
    let collections = this.databases.get(collection.db);
    if (!collections) {
      collections = new Map();
      this.databases.set(collection.db, collections);
    }
    collections.set(collection.name, collection);
  }

  dropCollection(db: string, name: string): Collection | undefined {
    const collections = this.databases.get(db);
    const collection = collections?.get(name);
    if (!collections || !collection) return undefined;
    collections.delete(name);
    if (collections.size === 0) this.databases.delete(db);
    return collection;
  }

  /** Drops the database (its views too), returning the collections it held. */
  dropDatabase(db: string): Collection[] {
    const collections = [...(this.databases.get(db)?.values() ?? [])];
    this.databases.delete(db);
    this.viewsByDb.delete(db);
    return collections;
  }

  databaseNames(): string[] {
    return [...this.databases.keys()];
  }

  collections(db: string): Collection[] {
    return [...(this.databases.get(db)?.values() ?? [])];
  }
}

export function validateNamespace(db: string, name: string): void {
  if (db === '' || INVALID_DB_NAME_CHARS.test(db)) {
    throw new CommandError(ErrorCode.InvalidNamespace, `Invalid database name: '${db}'`);
  }
  if (name === '' || name.includes('\0') || name.includes('$') || name.startsWith('.')) {
    throw new CommandError(ErrorCode.InvalidNamespace, `Invalid collection name: ${name}`);
  }
}

import type { Document, UUID } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { Collection } from './collection.js';

const INVALID_DB_NAME_CHARS = /[/\\. "$*<>:|?\0]/;

/** The databases and collections of the server. A database exists while it holds a collection. */
export class Catalog {
  private readonly databases = new Map<string, Map<string, Collection>>();

  collection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  createCollection(db: string, name: string, options: Document = {}, uuid?: UUID): Collection {
    const collection = new Collection(db, name, options, uuid);
    this.adopt(collection);
    return collection;
  }

  /** Registers a collection built elsewhere (one a transaction created, at its commit). */
  adopt(collection: Collection): void {
    validateNamespace(collection.db, collection.name);
    if (this.collection(collection.db, collection.name)) {
      throw new CommandError(ErrorCode.NamespaceExists, `Collection ${collection.namespace} already exists.`);
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

  /** Drops the database, returning the collections it held. */
  dropDatabase(db: string): Collection[] {
    const collections = [...(this.databases.get(db)?.values() ?? [])];
    this.databases.delete(db);
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

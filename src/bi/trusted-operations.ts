import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { PrincipalRef } from '../auth/principal.js';
import { isDuplicateKeyError } from '../data/errors.js';
import type { TenantDb } from '../data/tenant-db.js';
import { badUserInput, notFound } from '../errors.js';
import { byCodePoint, SHA256_HEX, sha256Hex, OperationDocumentError, type PersistedQueryManifest } from './manifest.js';
import { checkTrustedOperation, OPERATION_NAME } from './operation-check.js';

export type TrustedOperationSource = 'REPOSITORY' | 'TENANT';

/** A trusted operation as the server uses it, whichever its source. */
export interface TrustedOperation {
  /** SHA-256 of `body`: what a client sends as `extensions.persistedQuery.sha256Hash`. */
  hash: string;
  name: string;
  body: string;
  source: TrustedOperationSource;
  createdAt: Date | null;
}

/** A tenant's own trusted operation, in the `trustedOperations` collection; `tenantId` is stamped by the data layer. */
export interface TrustedOperationDocument {
  _id: string;
  tenantId: string;
  name: string;
  hash: string;
  body: string;
  createdAt: Date;
  createdBy: PrincipalRef;
}

const parsedBodies = new LRUCache<string, DocumentNode>({ max: 1000 });

/** The parsed document of a trusted operation, parsed once per body: exports and links use it on every request. */
export function documentOf(operation: TrustedOperation): DocumentNode {
  let document = parsedBodies.get(operation.body);
  if (!document) {
    document = parse(operation.body);
    parsedBodies.set(operation.body, document);
  }
  return document;
}

const fromDocument = (doc: TrustedOperationDocument): TrustedOperation => ({
  hash: doc.hash,
  name: doc.name,
  body: doc.body,
  source: 'TENANT',
  createdAt: doc.createdAt,
});

const tenantOperations = (db: TenantDb) => db.collection<TrustedOperationDocument>('trustedOperations');

/**
 * The trusted operations: the repository's (the manifest, checked once at start-up, held in memory)
 * first, then the active tenant's own (read through its TenantDb, so another tenant's never answer).
 * Tenant operations are read from the database on each lookup rather than cached, so that a removal
 * applies at once on every instance; the lookup is one indexed read, and only for hashes that are
 * not the repository's.
 */
export class TrustedOperationRegistry {
  readonly #byHash = new Map<string, TrustedOperation>();
  readonly #byName = new Map<string, TrustedOperation>();

  /**
   * Checks every manifest operation against the schema and the query limits, as registration checks
   * a tenant's: a manifest that the server could not run stops the start-up, naming each problem.
   */
  constructor(manifest: PersistedQueryManifest, schema: GraphQLSchema) {
    const problems: string[] = [];
    for (const entry of manifest.operations) {
      try {
        const checked = checkTrustedOperation(schema, entry.body);
        if (checked.name !== entry.name) throw new OperationDocumentError(`names its operation ${checked.name}`);
        if (checked.body !== entry.body)
          throw new OperationDocumentError('body is not in normal form: run npm run codegen');
        if (this.#byName.has(entry.name)) throw new OperationDocumentError('is in the manifest twice');
      } catch (error) {
        if (!(error instanceof OperationDocumentError)) throw error;
        problems.push(`${entry.name}: ${error.message}`);
        continue;
      }
      const operation: TrustedOperation = {
        hash: entry.id,
        name: entry.name,
        body: entry.body,
        source: 'REPOSITORY',
        createdAt: null,
      };
      this.#byHash.set(operation.hash, operation);
      this.#byName.set(operation.name, operation);
    }
    if (problems.length > 0) {
      throw new Error(
        `Trusted operations of persisted-query-manifest.json the server cannot run: ${problems.join('; ')}`,
      );
    }
  }

  /** The repository's operations, by name. */
  repository(): TrustedOperation[] {
    return [...this.#byName.values()].sort((a, b) => byCodePoint(a.name, b.name));
  }

  /** The operation this hash names for the tenant of `db` (none without a tenant), or null. */
  async byHash(db: TenantDb | null, hash: string): Promise<TrustedOperation | null> {
    if (!SHA256_HEX.test(hash)) return null;
    const repository = this.#byHash.get(hash);
    if (repository) return repository;
    if (!db) return null;
    const own = await tenantOperations(db).findOne({ hash });
    return own ? fromDocument(own) : null;
  }

  async byName(db: TenantDb | null, name: string): Promise<TrustedOperation | null> {
    if (!OPERATION_NAME.test(name)) return null;
    const repository = this.#byName.get(name);
    if (repository) return repository;
    if (!db) return null;
    const own = await tenantOperations(db).findOne({ name });
    return own ? fromDocument(own) : null;
  }

  /** The repository's operations, then the tenant's own, each by name. */
  async list(db: TenantDb): Promise<TrustedOperation[]> {
    const own = await tenantOperations(db).find({}, { sort: { name: 1 } });
    return [...this.repository(), ...own.map(fromDocument)];
  }

  /**
   * Registers a tenant operation: BAD_USER_INPUT naming the problem when the document cannot be
   * trusted (see checkTrustedOperation), names another operation than `name`, or when the name or the
   * document is taken, by the repository or by the tenant. A name is never re-pointed at another
   * document: dashboards keep running what they were built on until the operation is removed.
   */
  async register(
    db: TenantDb,
    schema: GraphQLSchema,
    name: string,
    source: string,
    createdBy: PrincipalRef,
    checkCost: (document: DocumentNode) => void,
  ): Promise<TrustedOperation> {
    if (!OPERATION_NAME.test(name)) throw badUserInput('name', 'must be a GraphQL name of at most 100 characters');
    let checked;
    try {
      checked = checkTrustedOperation(schema, source);
    } catch (error) {
      if (error instanceof OperationDocumentError) throw badUserInput('document', error.message);
      throw error;
    }
    if (checked.name !== name) throw badUserInput('document', `must name its operation ${name}, not ${checked.name}`);
    checkCost(checked.document);
    const hash = sha256Hex(checked.body);
    if (this.#byName.has(name)) throw badUserInput('name', 'is the name of a repository operation');
    const sameDocument = this.#byHash.get(hash);
    if (sameDocument) throw badUserInput('document', `is the repository operation ${sameDocument.name}`);
    const taken = (existing: TrustedOperationDocument | null) =>
      existing?.name === name
        ? badUserInput('name', 'is already registered in this tenant')
        : badUserInput('document', `is already registered as ${existing?.name ?? 'another operation'}`);
    // Looked for first: inside a transaction (an idempotent request's) a duplicate key error would
    // abort it on MongoDB, and the read after it could not say which was taken.
    const existing = await tenantOperations(db).findOne({ $or: [{ name }, { hash }] });
    if (existing) throw taken(existing);
    try {
      const stored = await tenantOperations(db).insertOne({
        name,
        hash,
        body: checked.body,
        createdAt: new Date(),
        createdBy,
      });
      return fromDocument(stored);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      throw taken(await tenantOperations(db).findOne({ $or: [{ name }, { hash }] }));
    }
  }

  /** Removes a tenant operation; NOT_FOUND for a name the tenant has not registered (the repository's included). */
  async remove(db: TenantDb, name: string): Promise<TrustedOperation> {
    const removed = OPERATION_NAME.test(name) ? await tenantOperations(db).deleteOne({ name }) : null;
    if (!removed) throw notFound('Trusted operation');
    return fromDocument(removed);
  }
}

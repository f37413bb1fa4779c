export { TENANT_COLLECTIONS, PLATFORM_COLLECTIONS } from './collection-names.js';
export type { TenantCollectionName, PlatformCollectionName } from './collection-names.js';
export { connectDatabase } from './database.js';
export type { Database, DatabaseOptions } from './database.js';
export type {
  Filter,
  FindOptions,
  LooseDocument,
  LooseTenantDocument,
  NewDocument,
  NewTenantDocument,
  Pipeline,
  PipelineStage,
  StoredDocument,
  TenantDocument,
  Update,
} from './documents.js';
export { isDuplicateKeyError, UnsafeQueryError } from './errors.js';
export { isId, newId } from './ids.js';
export { INDEXES } from './indexes.js';
export type { IndexDeclaration } from './indexes.js';
export type { PlatformCollection, PlatformDb } from './platform-db.js';
export type { DataCollection } from './scoped-collection.js';
export type { TenantCollection, TenantDb } from './tenant-db.js';
export type { EventFeed, EventFeedHandlers, EventFeedOptions } from './event-feed.js';
export type { IdentityChange, IdentityFeed, IdentityFeedOptions } from './identity-feed.js';

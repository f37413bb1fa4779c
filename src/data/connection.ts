import type { Db, Document, MongoClient } from 'mongodb';

/** The driver objects behind one Database, shared by its TenantDbs and its PlatformDb. */
export interface Connection {
  client: MongoClient;
  db: Db;
}

/** A document as the driver sees it here: any fields, and always a string id. */
export interface RawDocument extends Document {
  _id: string;
}

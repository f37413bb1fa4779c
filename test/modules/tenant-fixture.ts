import { expect } from 'vitest';
import { connectDatabase, type Database } from '../../src/data/database.js';
import { newId } from '../../src/data/ids.js';
import { collections } from '../../src/modules/application.js';
import type { TenantDb } from '../../src/data/tenant-db.js';
import { AppError } from '../../src/errors.js';
import { startTestMongo, uniqueDbName } from '../support/mongo.js';

export interface TenantFixture {
  database: Database;
  /** Two unrelated tenants: what one writes, the other must not see. */
  tenantA: TenantDb;
  tenantB: TenantDb;
  /** Names of the commands sent to the server since the last `commands.length = 0`. */
  commands: string[];
  close(): Promise<void>;
}

/** A fresh database on the test server with two tenants, counting the commands the driver sends. */
export async function openTenantFixture(): Promise<TenantFixture> {
  const mongo = await startTestMongo();
  const commands: string[] = [];
  const database = await connectDatabase({
    uri: mongo.uri,
    dbName: uniqueDbName('modules'),
    collections,
    onCommand: (name) => commands.push(name),
  });
  await database.ensureIndexes();
  return {
    database,
    tenantA: database.forTenant(newId()),
    tenantB: database.forTenant(newId()),
    commands,
    async close() {
      await database.close();
      await mongo.stop();
    },
  };
}

/** Asserts that `run` rejects with an AppError of this code (and, for BAD_USER_INPUT, this field). */
export async function expectAppError(run: Promise<unknown>, code: string, field?: string): Promise<AppError> {
  const error: unknown = await run.then(
    () => {
      throw new Error(`expected ${code}, got a result`);
    },
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.extensions.code).toBe(code);
  if (field !== undefined) expect(appError.extensions.field).toBe(field);
  return appError;
}
